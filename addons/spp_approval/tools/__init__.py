from .guard import guarded_write, is_guarded_write, refuse_fields, refuse_records
from .module_move import move_models

from .guard import guarded_write, is_guarded_write, refuse_fields
from .module_move import move_models

from .guard import guarded_write, is_guarded_write
from .module_move import move_models

from .guard import guarded_write, is_guarded_write

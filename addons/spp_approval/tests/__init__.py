from . import test_module_move

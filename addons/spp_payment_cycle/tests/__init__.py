from . import test_cycle

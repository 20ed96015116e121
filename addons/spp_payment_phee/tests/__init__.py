from . import test_phee

from . import test_mpesa

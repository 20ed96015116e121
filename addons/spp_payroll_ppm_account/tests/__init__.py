from . import test_ppm_account

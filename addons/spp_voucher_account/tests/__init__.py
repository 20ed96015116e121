from . import test_voucher_account

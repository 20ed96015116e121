from . import test_mpesa
from . import test_mpesa_balance
from . import test_mpesa_inbox

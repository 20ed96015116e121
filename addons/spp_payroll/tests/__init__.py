from . import test_generation
from . import test_execution
from . import test_missed_payments
from . import test_live_payments
from . import test_payment_details
from . import test_balance_reservation

from . import test_generation
from . import test_execution
from . import test_missed_payments
from . import test_live_payments
from . import test_browser
from . import test_payroll_integrity
from . import test_payroll_rpc

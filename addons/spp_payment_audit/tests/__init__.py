from . import test_audit_export
from . import test_payment_history
from . import test_donor_report
from . import test_browser

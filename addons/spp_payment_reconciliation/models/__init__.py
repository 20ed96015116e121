from . import spp_reconciliation
from . import spp_payroll_pull
from . import spp_reconciliation_slice

from . import spp_reconciliation
from . import spp_payroll_pull

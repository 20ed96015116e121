from . import spp_payment
from . import spp_payroll
from . import spp_payroll_generation
from . import spp_payroll_export
from . import spp_payroll_run
from . import spp_payroll_rate
from . import spp_payroll_funding

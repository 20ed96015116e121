from . import spp_program_contribution
from . import spp_program
from . import spp_payment_cycle
from . import spp_payroll

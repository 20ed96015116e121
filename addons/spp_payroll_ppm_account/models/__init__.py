from . import account_move
from . import spp_program
from . import spp_ppm_float
from . import spp_payroll
from . import spp_payment

from . import spp_program_membership
from . import spp_payment_cycle
from . import spp_payment_rule

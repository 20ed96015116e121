from . import account_move
from . import spp_program
from . import spp_payroll
from . import spp_voucher
from . import spp_merchant_settlement
from . import spp_payment

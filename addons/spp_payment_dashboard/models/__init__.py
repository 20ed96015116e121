from . import ir_http
from . import spp_payment_dashboard

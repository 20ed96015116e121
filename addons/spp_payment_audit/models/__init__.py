from . import spp_payment_scope
from . import spp_payment_audit_export
from . import res_partner
from . import spp_payroll

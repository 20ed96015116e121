from . import spp_approval_reject_wizard
from . import spp_finance_decision_wizard

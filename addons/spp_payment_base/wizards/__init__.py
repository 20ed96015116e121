from . import spp_finance_decision_wizard

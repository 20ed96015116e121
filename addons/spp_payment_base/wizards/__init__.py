from . import spp_finance_decision_wizard
from . import spp_table_import

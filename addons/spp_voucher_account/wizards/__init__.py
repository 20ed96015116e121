from . import spp_account_report

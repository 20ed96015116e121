from . import spp_approval_reject_wizard

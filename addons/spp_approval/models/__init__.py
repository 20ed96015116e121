from . import spp_approval_policy
from . import spp_approval_review
from . import spp_approval_mixin

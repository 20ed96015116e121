from . import spp_fsp
from . import spp_mpesa_conversation

from . import spp_fsp

from . import spp_demo_generator
from . import spp_demo_fsp

from . import spp_demo_statement

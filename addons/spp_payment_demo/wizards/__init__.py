from . import spp_demo_generator_wizard

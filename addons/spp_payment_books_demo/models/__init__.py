from . import spp_demo_books
from . import spp_demo_generator

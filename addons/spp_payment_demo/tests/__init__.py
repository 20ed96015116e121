from . import test_demo_generator
from . import test_demo_simulated_fsps
from . import test_demo_payment_points
from . import test_roles_walk

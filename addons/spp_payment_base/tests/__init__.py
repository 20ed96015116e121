from . import test_access_matrix
from . import test_approval
from . import test_payment_states
from . import test_registry
from . import test_rpc
from . import test_payment_references
from . import test_callback_endpoint
from . import test_double_payment

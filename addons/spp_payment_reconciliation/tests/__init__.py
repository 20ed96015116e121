from . import test_reconciliation_batch
from . import test_reconciliation_slices

from . import test_reconciliation_batch

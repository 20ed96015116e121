from . import spp_reconciliation_import

from . import test_export
from . import test_reconciliation_import
from . import test_iso20022_returns
from . import test_statement_import
from . import test_company_rules
from . import test_fx
from . import test_import_job

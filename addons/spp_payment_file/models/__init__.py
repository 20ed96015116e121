from . import spp_fsp
from . import spp_fsp_statement
from . import spp_payment_file
from . import spp_payroll
from . import spp_reconciliation
from . import res_partner
from . import spp_payment_file_import_job

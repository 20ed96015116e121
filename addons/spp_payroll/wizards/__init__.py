from . import spp_payroll_execute_wizard

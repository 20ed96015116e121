# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    spp_fsp,
    spp_payroll_point,
    spp_payroll_point_issue,
    spp_ppm_float,
    spp_payment,
    spp_payroll,
    spp_reconciliation,
)

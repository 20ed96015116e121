# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    spp_voucher,
    spp_merchant,
    spp_voucher_key,
    spp_voucher_redemption,
    spp_voucher_release,
    spp_voucher_ledger,
    spp_voucher_change,
    spp_program,
    spp_payroll,
    spp_overpayment,
    spp_voucher_references,
)

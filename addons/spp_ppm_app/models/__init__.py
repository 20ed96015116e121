# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    spp_payment_evidence,
    spp_ppm_device,
    spp_ppm_event,
    spp_ppm_sync,
    spp_reconciliation,
)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    test_cash_evidence,
    test_ppm_api,
    test_ppm_browser,
    test_ppm_end_to_end,
    test_ppm_sync,
)

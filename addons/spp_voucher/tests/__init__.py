# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from . import (
    test_generation,
    test_tokens_keys,
    test_ledger,
    test_merchants,
    test_state_changes,
    test_id_redemption,
    test_concurrency,
)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What an FSP says about one attempt, whatever the protocol."""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Outcome:
    """``key`` is the attempt's idempotency key as sent to the FSP; ``state`` a
    payment state (see states.py); the rest is kept as evidence."""

    key: str
    state: str
    raw_status: str = ""
    reason_code: str | None = None
    reason: str | None = None
    receipt: str | None = None
    amount: Decimal | None = None
    fsp_ref: str | None = None

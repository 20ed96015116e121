"""A program's fund: what was received, what is paid out or spoken for, and
whether a payroll fits in what is left. Exact (Decimal), without a database."""

from dataclasses import dataclass
from decimal import Decimal

from . import states
from .money import round_money, to_decimal

# Approved and not settled: the money is committed to a beneficiary. An unknown
# payment may have been paid, so its amount stays committed until it is known.
COMMITTED_STATES = frozenset(states.RESERVING_STATES - {states.DRAFT})
# Money that left the fund. A reversed payment came back; a failed, rejected or
# cancelled one never left: neither counts.
DISBURSED_STATES = frozenset({states.PAID})


@dataclass(frozen=True)
class Fund:
    received: Decimal
    disbursed: Decimal
    committed: Decimal
    decimal_places: int = 2

    @property
    def available(self):
        return round_money(
            self.received - self.disbursed - self.committed, self.decimal_places
        )

    def shortfall(self, amount):
        """How much ``amount`` exceeds what is left (0 when it fits)."""
        short = to_decimal(amount) - self.available
        return round_money(max(short, Decimal(0)), self.decimal_places)


def fund_from_rows(received, rows, decimal_places=2):
    """The Fund of ``received`` and (state, amount, paid_amount) rows; a paid
    payment counts what the FSP paid when it says so, else its amount."""
    disbursed = committed = Decimal(0)
    for state, amount, paid in rows:
        if state in DISBURSED_STATES:
            disbursed += to_decimal(paid or amount or 0)
        elif state in COMMITTED_STATES:
            committed += to_decimal(amount or 0)
    return Fund(
        received=round_money(to_decimal(received or 0), decimal_places),
        disbursed=round_money(disbursed, decimal_places),
        committed=round_money(committed, decimal_places),
        decimal_places=decimal_places,
    )

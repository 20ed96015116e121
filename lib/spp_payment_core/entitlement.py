"""Entitlement arithmetic: what one beneficiary is owed in one payment cycle.

Pure functions over plain rows, exact ``Decimal``, rounded to the currency. The Odoo
payroll selects rows in SQL, calls :func:`compute_entitlements`, and inserts the
results in bulk.
"""

from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

PAY_CAP = "pay_cap"
REJECT = "reject"
RESTRICT = "restrict"


@dataclass(frozen=True)
class Component:
    """A variable amount paid when its condition matches the beneficiary.

    With ``multiplier`` set, the amount is per unit of that row value (amount per
    day worked x days worked). A component that does not count toward the cap (a
    withdrawal-fee credit, say) is paid on top of a capped amount.
    """

    code: str
    amount: Decimal
    multiplier: str | None = None
    counts_toward_cap: bool = True


@dataclass(frozen=True)
class Rules:
    fixed_amount: Decimal = Decimal(0)
    components: tuple = ()
    cap: Decimal | None = None
    cap_policy: str = PAY_CAP
    balance_policy: str = RESTRICT
    back_payment_limit: int = 0
    decimal_places: int = 2

    def __post_init__(self):
        if self.cap_policy not in (PAY_CAP, REJECT):
            raise ValueError(f"unknown cap policy {self.cap_policy!r}")
        if self.balance_policy not in (RESTRICT, REJECT):
            raise ValueError(f"unknown balance policy {self.balance_policy!r}")
        if self.cap is not None and self.cap < 0:
            raise ValueError("a cap cannot be negative")
        if self.fixed_amount < 0:
            raise ValueError("the fixed amount cannot be negative")
        if self.back_payment_limit < 0:
            raise ValueError("the back-payment limit cannot be negative")


@dataclass(frozen=True)
class Row:
    """One beneficiary: the components whose condition matched, the values of the
    multiplier fields, the payments missed, and the remaining balance (``None``
    outside balance programs)."""

    key: object
    matched: frozenset = frozenset()
    values: dict = field(default_factory=dict)
    missed_payments: int = 0
    balance: Decimal | None = None


@dataclass(frozen=True)
class Entitlement:
    key: object
    amount: Decimal
    breakdown: dict
    capped: bool = False
    over_balance: bool = False
    rejected: bool = False
    reason: str = ""
    back_payments: int = 0


def _round(amount, places):
    return Decimal(amount).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def compile_rules(rules):
    """A function computing the entitlement of one row under ``rules``.

    Everything that does not depend on the row (rounded fixed amount, constant
    component amounts, the cap) is worked out once: a national payroll applies the
    same rules to a million rows.
    """
    places = rules.decimal_places
    quantum = Decimal(1).scaleb(-places)
    fixed = _round(rules.fixed_amount, places)
    cap = _round(rules.cap, places) if rules.cap is not None else None
    constants = {
        c.code: _round(c.amount, places)
        for c in rules.components
        if c.multiplier is None
    }

    def per_unit(component, row):
        units = row.values.get(component.multiplier) or 0
        units = units if isinstance(units, Decimal) else Decimal(str(units))
        if units < 0:
            raise ValueError(
                f"row {row.key!r}: {component.multiplier} is negative ({units})"
            )
        return (component.amount * units).quantize(quantum, ROUND_HALF_UP)

    def compute(row):
        breakdown = {"fixed": fixed}
        counting = fixed
        extra = Decimal(0)
        for component in rules.components:
            if component.code not in row.matched:
                continue
            value = constants.get(component.code)
            if value is None:
                value = per_unit(component, row)
            breakdown[component.code] = value
            if component.counts_toward_cap:
                counting += value
            else:
                extra += value
        capped = False
        if cap is not None and counting > cap:
            if rules.cap_policy == REJECT:
                return _rejected(row, breakdown, f"above the cap of {rules.cap}")
            breakdown["cap_reduction"] = cap - counting
            counting = cap
            capped = True
        back = min(max(row.missed_payments, 0), rules.back_payment_limit)
        if back:
            breakdown["back_payments"] = counting * back
        total = counting * (1 + back) + extra
        over_balance = row.balance is not None and total > row.balance
        if over_balance:
            if rules.balance_policy == REJECT:
                return _rejected(
                    row,
                    breakdown,
                    f"above the remaining balance of {row.balance}",
                    over_balance=True,
                )
            remaining = max(row.balance.quantize(quantum, ROUND_HALF_UP), Decimal(0))
            breakdown["balance_reduction"] = remaining - total
            total = remaining
        return Entitlement(
            row.key,
            total,
            breakdown,
            capped=capped,
            over_balance=over_balance,
            back_payments=back,
        )

    return compute


def compute_entitlement(rules, row):
    """The entitlement of one row under ``rules``."""
    return compile_rules(rules)(row)


def _rejected(row, breakdown, reason, over_balance=False):
    return Entitlement(
        row.key,
        Decimal(0),
        breakdown,
        rejected=True,
        reason=reason,
        over_balance=over_balance,
    )


def compute_entitlements(rules, rows):
    """Entitlements of many rows, in order."""
    compute = compile_rules(rules)
    return [compute(row) for row in rows]


def compute_shared(rules, rows):
    """Entitlements of many rows, in order, computed once per distinct profile
    (components matched, multiplier values, payments missed, balance).

    A national payroll has a million rows but a few hundred profiles. Rows of one
    profile share one :class:`Entitlement` whose ``key`` is ``None``: pair them
    with ``rows`` by position.
    """
    compute = compile_rules(rules)
    memo = {}
    result = []
    for row in rows:
        profile = (
            row.matched,
            tuple(row.values.items()) if row.values else (),
            row.missed_payments,
            row.balance,
        )
        entitlement = memo.get(profile)
        if entitlement is None:
            entitlement = memo[profile] = replace(compute(row), key=None)
        result.append(entitlement)
    return result

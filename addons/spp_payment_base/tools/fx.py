# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""SQL of amounts paid through an FSP in another currency than the program's.

A payment of ``amount`` (program currency) pays ``fsp_amount`` in the FSP's
currency, converted at ``fsp_rate`` (FSP units per program unit), both frozen
by the payroll's approval; ``fsp_rate`` is NULL when the FSP pays in the
program's currency."""

from odoo.tools import SQL


def fx_round_sql(value, rounding):
    """SQL rounding ``value`` HALF-UP (ties away from zero) to a multiple of
    ``rounding``, in exact numeric arithmetic: what res.currency.round does
    (float_round HALF-UP, whose epsilon makes up for binary floats). The
    result has the currency's decimals as its scale (127 yen, not 127.0)."""
    return SQL(
        "round(round((%s) / %s) * %s, %s)",
        value,
        rounding,
        rounding,
        decimal_places_sql(rounding),
    )


def decimal_places_sql(rounding):
    """res.currency.decimal_places, in SQL."""
    return SQL(
        "(CASE WHEN %s > 0 AND %s < 1 THEN ceil(-log(%s))::int ELSE 0 END)",
        rounding,
        rounding,
        rounding,
    )


def program_rounding_sql(alias="p"):
    """The rounding of the payment's program currency (a one-row lookup,
    evaluated only for payments paid in another currency)."""
    return SQL(
        "(SELECT rounding FROM res_currency WHERE id = %s)",
        SQL.identifier(alias, "currency_id"),
    )


def fsp_issued_sql(alias="p"):
    """What the FSP was asked to pay, in its currency."""
    return SQL(
        "COALESCE(%s, %s)",
        SQL.identifier(alias, "fsp_amount"),
        SQL.identifier(alias, "amount"),
    )


def to_program_sql(reported, alias="p", rounding=None):
    """A ``reported`` paid amount in the FSP's currency, in the program's: the
    amount issued plus the difference to the FSP amount, converted at the
    frozen rate (paid in full is the amount issued, to the cent). Statements
    over many payments pass the program currency's ``rounding`` from a join:
    program_rounding_sql costs a lookup per use and row."""
    rate = SQL.identifier(alias, "fsp_rate")
    if rounding is None:
        rounding = program_rounding_sql(alias)
    return SQL(
        "CASE WHEN %(rate)s IS NULL THEN %(reported)s ELSE %(amount)s + %(diff)s END",
        rate=rate,
        reported=reported,
        amount=SQL.identifier(alias, "amount"),
        diff=fx_round_sql(
            SQL("(%s - %s) / %s", reported, SQL.identifier(alias, "fsp_amount"), rate),
            rounding,
        ),
    )


def exchange_difference_sql(reported, alias="p", rounding=None):
    """Program-currency value of ``reported`` at the frozen rate, less what the
    payment counts as paid (to_program_sql): the rounding the two currencies
    disagree on. NULL when the FSP pays in the program's currency."""
    rate = SQL.identifier(alias, "fsp_rate")
    if rounding is None:
        rounding = program_rounding_sql(alias)
    return SQL(
        "CASE WHEN %(rate)s IS NULL THEN NULL ELSE %(value)s - (%(paid)s) END",
        rate=rate,
        value=fx_round_sql(SQL("%s / %s", reported, rate), rounding),
        paid=to_program_sql(reported, alias, rounding),
    )

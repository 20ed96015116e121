# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every posting of the suite shares: positions a document stands for
now, against those its entries posted so far; only the difference is posted,
so a retry or a re-run never posts twice. The payroll posts its own positions
(spp_payroll.py); other documents (PPM floats, merchant settlements, voucher
releases) inherit ``spp.account.source``."""

from decimal import Decimal

from odoo import Command, fields, models
from odoo.tools import SQL


def to_decimal(value):
    """An amount read from SQL (numeric columns come back as floats) as an
    exact Decimal: its shortest repr, never the float's binary expansion."""
    return Decimal(str(value or 0))


def position_deltas(targets, posted, positions, currency_of, in_currency=None):
    """[(key, {position: Decimal}, (currency, Decimal))] of the keys that
    moved: their ``positions`` target less posted (positions outside
    ``positions`` wait, at 0), and what ``in_currency(target, done)`` gives:
    an amount to post in another currency (an FSP's clearing), (None, 0)
    without. Keys sorted; ``currency_of(key)`` rounds the zero test."""
    result = []
    for key in sorted(targets.keys() | posted.keys()):
        target, done = targets.get(key, {}), posted.get(key, {})
        delta = {
            position: target.get(position, Decimal(0)) - done.get(position, Decimal(0))
            for position in positions
        }
        other_currency, other = (
            in_currency(target, done) if in_currency else (None, Decimal(0))
        )
        currency = currency_of(key)
        if not all(currency.is_zero(float(amount)) for amount in delta.values()) or (
            other_currency and not other_currency.is_zero(float(other))
        ):
            result.append((key, delta, (other_currency, other)))
    return result


def line_amounts(company, amount, currency, date, in_currency=None):
    """Line values of ``amount`` (Decimal, in ``currency``, the program's;
    debit if positive): debit/credit converted into the company's currency at
    ``date`` when it differs, the program's amount in spp_currency_id /
    spp_amount (the report and the postings sum those). ``in_currency``
    (currency, Decimal): the line's amount in another currency (the FSP's, on
    its clearing account), its amount_currency (and its balance when that
    currency is the company's)."""
    amount = currency.round(float(amount))
    vals = {"spp_currency_id": currency.id, "spp_amount": amount}
    line_currency, line_amount = in_currency or (currency, amount)
    line_amount = line_currency.round(float(line_amount))
    if line_currency == company.currency_id:
        balance = line_amount
    elif currency == company.currency_id:
        balance = amount
    else:
        balance = currency._convert(amount, company.currency_id, company, date)
    if line_currency != company.currency_id:
        vals.update(currency_id=line_currency.id, amount_currency=line_amount)
    vals.update(debit=max(balance, 0.0), credit=max(-balance, 0.0))
    return vals


def entry_vals(env, program, date, ref, event, lines, **links):
    """The values of one summarised journal entry of ``program``: ``ref``
    followed by the event's label, its ``lines`` (line values) and the links
    to the documents it carries (``links``: field name to id)."""
    event_label = dict(
        env["account.move"]._fields["spp_event"]._description_selection(env)
    )[event]
    return {
        "move_type": "entry",
        "journal_id": program.account_journal_id.id,
        "date": date,
        "ref": f"{ref}: {event_label}",
        "spp_event": event,
        "spp_program_id": program.id,
        **links,
        "line_ids": [Command.create(line) for line in lines],
    }


def balance_lines(currency, lines):
    """Conversion rounding lands on the last line (the balancing one)."""
    total = currency.round(sum(line["debit"] - line["credit"] for line in lines))
    if lines and not currency.is_zero(total):
        last = lines[-1]
        balance = currency.round(last["debit"] - last["credit"] - total)
        last.update(debit=max(balance, 0.0), credit=max(-balance, 0.0))


class SppAccountSource(models.AbstractModel):
    """A document whose money is posted as positions, one entry per document
    and currency each time they move. Implement ``_spp_books_targets``,
    ``_spp_books_enabled`` and ``_spp_books_move_vals``. Inherited with
    ``spp.account.move.mixin`` (a payroll has it already): its
    ``_spp_move_field`` names the ``account.move`` field linking an entry to
    the document, and gives the smart button."""

    _name = "spp.account.source"
    _description = "SPP Document Posted to Accounting"

    # The positions this document posts (line buckets).
    _spp_books_positions = ()

    # To implement --------------------------------------------------------

    def _spp_books_targets(self):
        """{(record id, currency id): {position: Decimal}} these documents
        stand for now, set-based."""
        raise NotImplementedError

    def _spp_books_enabled(self):
        """The documents whose program posts to accounting."""
        raise NotImplementedError

    def _spp_books_move_vals(self, currency, delta, event):
        """The entry of one document and currency posting ``delta``."""
        raise NotImplementedError

    # Shared ----------------------------------------------------------------

    def _spp_books_posted(self):
        """The same positions as posted so far, in one GROUP BY, in the
        program's currency (spp_amount; lines posted before it was kept are in
        that currency)."""
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT m.%(field)s,
                       COALESCE(l.spp_currency_id, l.currency_id, m.currency_id),
                       l.spp_bucket, SUM(COALESCE(l.spp_amount, l.amount_currency))
                  FROM account_move_line l
                  JOIN account_move m ON m.id = l.move_id
                 WHERE m.%(field)s = ANY(%(ids)s) AND m.state = 'posted'
                   AND l.spp_bucket IN %(buckets)s
                 GROUP BY 1, 2, 3
                """,
                field=SQL.identifier(self._spp_move_field),
                ids=list(self.ids),
                buckets=tuple(self._spp_books_positions),
            )
        )
        posted = {}
        for record_id, currency_id, bucket, amount in self.env.cr.fetchall():
            posted.setdefault((record_id, currency_id), {})[bucket] = to_decimal(amount)
        return posted

    def _spp_books_post(self, event):
        """Post what moved since the last entry of these documents, as the
        server (the caller's right to move the document was checked by its
        own action). Returns the entries."""
        moves = self.env["account.move"].sudo()
        records = self.sudo()._spp_books_enabled()
        if not records:
            return moves
        # Two postings of one document at once would post the same difference.
        self.env.cr.execute(
            SQL(
                "SELECT id FROM %s WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
                SQL.identifier(records._table),
                list(records.ids),
            )
        )
        currencies = self.env["res.currency"]
        deltas = position_deltas(
            records._spp_books_targets(),
            records._spp_books_posted(),
            self._spp_books_positions,
            lambda key: currencies.browse(key[1]),
        )
        vals_list = [
            records.browse(record_id)._spp_books_move_vals(
                currencies.browse(currency_id), delta, event
            )
            for (record_id, currency_id), delta, _other in deltas
        ]
        if vals_list:
            moves = moves.create(vals_list)
            moves.action_post()
        return moves

    def _spp_books_entry(self, lines, event, date=None, **links):
        """Entry vals: the journal of the program, lines [(account, Decimal,
        currency, bucket, label)] (the last one balances), ``links`` on the
        entry and its lines (spp_payroll_id on lines ties them to a payroll in
        the report)."""
        self.ensure_one()
        program = self._spp_books_program().sudo()
        company = program.company_id
        date = date or fields.Date.context_today(self)
        line_links = {k: v for k, v in links.items() if k in ("spp_payroll_id",)}
        vals_lines = []
        for account, amount, currency, bucket, label in lines:
            if currency.is_zero(float(amount)):
                continue
            vals_lines.append(
                {
                    "account_id": account.id,
                    "name": f"{self.display_name}: {label}",
                    "spp_bucket": bucket,
                    **line_links,
                    **line_amounts(company, amount, currency, date),
                }
            )
        balance_lines(company.currency_id, vals_lines)
        return entry_vals(
            self.env,
            program,
            date,
            self.display_name,
            event,
            vals_lines,
            **{self._spp_move_field: self.id, **links},
        )

    def _spp_books_program(self):
        return self.program_id

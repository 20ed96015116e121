# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Exchange rates a payroll pays at, when an FSP pays in another currency than
the program's: entered by a Finance Manager beforehand, or taken from Odoo's
currency rates at the approval, and frozen by it."""

from decimal import Decimal

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import fx_round_sql

FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
# Digits a rate taken from Odoo keeps (Odoo stores its rates unrounded).
RATE_DIGITS = Decimal("1e-12")
# Fields a Finance Manager enters; the others follow from the payroll.
MANUAL_FIELDS = frozenset({"rate", "source_note"})


class SppPayrollRate(models.Model):
    _name = "spp.payroll.rate"
    _description = "Payroll Exchange Rate"
    _order = "payroll_id, id"
    _rec_name = "to_currency_id"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    from_currency_id = fields.Many2one(
        "res.currency",
        string="Program Currency",
        required=True,
        readonly=True,
        help="The program's currency, the payroll's amounts are in.",
    )
    to_currency_id = fields.Many2one(
        "res.currency",
        string="FSP Currency",
        required=True,
        help="The currency an FSP of the payroll pays in.",
    )
    rate = fields.Float(
        digits=0,
        required=True,
        help="Units of the FSP currency for one unit of the program currency.",
    )
    source = fields.Selection(
        [("odoo", "Odoo Currency Rates"), ("manual", "Entered by a Finance Manager")],
        required=True,
        default="manual",
        readonly=True,
    )
    source_note = fields.Char(
        string="Rate Source",
        help="Where a rate entered by hand comes from (central bank, FSP quote).",
    )
    user_id = fields.Many2one(
        "res.users", string="Entered By", readonly=True, default=lambda s: s.env.user
    )
    date = fields.Datetime(readonly=True, default=fields.Datetime.now)
    frozen = fields.Boolean(
        readonly=True, help="Frozen by the payroll's approval: it no longer changes."
    )
    payment_count = fields.Integer(compute="_compute_totals")
    program_total = fields.Monetary(
        string="Total (Program Currency)",
        compute="_compute_totals",
        currency_field="from_currency_id",
    )
    fsp_total = fields.Monetary(
        string="Total (FSP Currency)",
        compute="_compute_totals",
        currency_field="to_currency_id",
    )

    _pair_unique = models.Constraint(
        "UNIQUE(payroll_id, to_currency_id)",
        "A payroll has one rate per FSP currency.",
    )
    _rate_positive = models.Constraint(
        "CHECK(rate > 0)", "An exchange rate must be positive."
    )

    @api.depends("payroll_id", "to_currency_id")
    def _compute_totals(self):
        """What the payroll pays in each FSP currency, in one statement."""
        totals = {}
        payrolls = self.payroll_id.ids
        if payrolls:
            self.env["spp.payment"].flush_model(
                ["payroll_id", "amount", "fsp_amount", "fsp_currency_id"]
            )
            self.env.cr.execute(
                SQL(
                    """
                    SELECT payroll_id, fsp_currency_id, count(*), sum(amount),
                           sum(fsp_amount)
                      FROM spp_payment
                     WHERE payroll_id = ANY(%s) AND fsp_currency_id IS NOT NULL
                       AND state <> 'cancelled'
                  GROUP BY payroll_id, fsp_currency_id
                    """,
                    payrolls,
                )
            )
            totals = {(r[0], r[1]): r[2:] for r in self.env.cr.fetchall()}
        for record in self:
            count, program, fsp = totals.get(
                (record.payroll_id.id, record.to_currency_id.id), (0, 0, 0)
            )
            record.payment_count = count
            record.program_total = float(program or 0)
            record.fsp_total = float(fsp or 0)

    # Who sets a rate ------------------------------------------------------

    def _spp_check_manager(self):
        if self.env.su:
            return
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager enters a payroll's exchange rates.")
            )

    def _spp_check_not_frozen(self):
        if self.env.su and self.env.context.get("spp_freeze_rates"):
            return
        frozen = self.filtered(
            lambda r: r.frozen or r.payroll_id.approval_state == "approved"
        )
        if frozen:
            raise UserError(
                self.env._(
                    "The rates of %s were frozen by its approval; they no longer "
                    "change.",
                    ", ".join(frozen.payroll_id.mapped("name")),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._spp_check_manager()
        for vals in vals_list:
            if not self.env.su:
                # Odoo rates are taken by the approval itself, never by hand.
                vals.update(source="manual", frozen=False, user_id=self.env.uid)
                vals.pop("date", None)
            payroll = self.env["spp.payroll"].browse(vals.get("payroll_id"))
            vals["from_currency_id"] = payroll.currency_id.id
            if vals["from_currency_id"] == vals.get("to_currency_id"):
                raise UserError(
                    self.env._(
                        "%s pays in the program's currency: it needs no rate.",
                        payroll.name,
                    )
                )
            if vals.get("source", "manual") == "manual":
                self._spp_check_source_note(vals.get("source_note"))
        records = super().create(vals_list)
        records._spp_check_not_frozen()
        return records

    def _spp_check_source_note(self, note):
        if not (note or "").strip():
            raise UserError(
                self.env._("Say where the rate entered by hand comes from.")
            )

    def write(self, vals):
        self._spp_check_manager()
        self._spp_check_not_frozen()
        if not self.env.su:
            forbidden = set(vals) - MANUAL_FIELDS
            if forbidden:
                raise UserError(
                    self.env._(
                        "Only the rate and its source change; %s follow from the "
                        "payroll.",
                        ", ".join(sorted(forbidden)),
                    )
                )
            if self.filtered(lambda r: r.source != "manual"):
                raise UserError(self.env._("A rate taken from Odoo is not edited."))
            vals = {**vals, "user_id": self.env.uid, "date": fields.Datetime.now()}
        if "source_note" in vals:
            self._spp_check_source_note(vals["source_note"])
        return super().write(vals)

    def unlink(self):
        self._spp_check_manager()
        self._spp_check_not_frozen()
        return super().unlink()


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    rate_ids = fields.One2many(
        "spp.payroll.rate", "payroll_id", string="Exchange Rates", copy=False
    )

    def action_enter_rate(self):
        """A Finance Manager enters the rate an FSP currency is paid at."""
        self.ensure_one()
        self.env["spp.payroll.rate"]._spp_check_manager()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Exchange Rate of %s", self.name),
            "res_model": "spp.payroll.rate",
            "view_mode": "form",
            "target": "new",
            "context": {"default_payroll_id": self.id},
        }

    def _spp_fsp_currencies(self):
        """{FSP currency: [FSP names]} the payments to approve are paid in,
        other than the program's."""
        self.ensure_one()
        self.env["spp.payment"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                SELECT f.currency_id, array_agg(DISTINCT f.id)
                  FROM (SELECT DISTINCT fsp_id FROM spp_payment
                         WHERE payroll_id = %s AND state = 'draft'
                           AND fsp_id IS NOT NULL) p
                  JOIN spp_fsp f ON f.id = p.fsp_id
                 WHERE f.currency_id <> %s
              GROUP BY f.currency_id
                """,
                self.id,
                self.currency_id.id,
            )
        )
        currencies = self.env["res.currency"]
        return {
            currencies.browse(currency): self.env["spp.fsp"].browse(fsps)
            for currency, fsps in self.env.cr.fetchall()
        }

    def _spp_odoo_rate(self, to_currency, date):
        """The rate of Odoo's currency rates from the program's currency to
        ``to_currency`` at ``date``, or None when one of them has no rate (Odoo
        would convert at 1.0: a guess, not a rate)."""
        company = self.company_id or self.env.company
        source = self.currency_id
        pair = source | to_currency
        Rate = self.env["res.currency.rate"].sudo()
        for currency in pair - company.currency_id:
            if not Rate.search_count(
                [
                    ("currency_id", "=", currency.id),
                    ("company_id", "in", (False, company.root_id.id)),
                ],
                limit=1,
            ):
                return None
        rates = pair.sudo()._get_rates(company, date)
        rate = Decimal(repr(rates[to_currency.id])) / Decimal(repr(rates[source.id]))
        return rate.quantize(RATE_DIGITS).normalize()

    def _spp_rates_to_freeze(self):
        """[(currency, rate, existing rate record)] this approval freezes, or
        raise which currency pair has no rate. Reads only."""
        self.ensure_one()
        date = fields.Date.context_today(self)
        plan, missing = [], []
        manual = {r.to_currency_id: r for r in self.rate_ids}
        for currency, fsps in self._spp_fsp_currencies().items():
            record = manual.get(currency)
            if record:
                plan.append((currency, Decimal(repr(record.rate)), record))
                continue
            rate = self._spp_odoo_rate(currency, date)
            if rate is None:
                missing.append((currency, fsps))
            else:
                plan.append((currency, rate, None))
        if missing:
            raise UserError(
                self.env._(
                    "%(payroll)s cannot be approved: no exchange rate from "
                    "%(pairs)s. Add the currency rate in Odoo, or have a Finance "
                    "Manager enter the payroll's rate with its source.",
                    payroll=self.name,
                    pairs="; ".join(
                        f"{self.currency_id.name} to {currency.name} "
                        f"({', '.join(fsps.mapped('name'))})"
                        for currency, fsps in missing
                    ),
                )
            )
        return plan

    def _spp_check_can_approve(self):
        # Before anything is written: a missing rate leaves the payroll as it was.
        result = super()._spp_check_can_approve()
        self._spp_rates_to_freeze()
        return result

    def _spp_freeze_rates(self):
        """Record the rates this approval freezes, and return the query of
        assignments of every payment's FSP currency, amount and rate, for the
        approval's state UPDATE (spp.payment._set_approved): the amount in its
        FSP's currency, rounded HALF-UP to that currency's rounding as
        res.currency.round does."""
        self.ensure_one()
        plan = self._spp_rates_to_freeze()
        Rates = self.env["spp.payroll.rate"].sudo().with_context(spp_freeze_rates=True)
        now = fields.Datetime.now()
        for currency, rate, record in plan:
            if record:
                record.sudo().with_context(spp_freeze_rates=True).write(
                    {"frozen": True}
                )
            else:
                Rates.create(
                    {
                        "payroll_id": self.id,
                        "to_currency_id": currency.id,
                        "rate": float(rate),
                        "source": "odoo",
                        "source_note": self.env._(
                            "Odoo currency rates of %s", fields.Date.to_string(now)
                        ),
                        "user_id": self.env.uid,
                        "date": now,
                        "frozen": True,
                    }
                )
        return self._spp_fx_values(plan)

    def _spp_fx_values(self, plan):
        """SQL expressions over the payment ``p``, one CASE over the few FSPs
        paying in a currency with a frozen rate (a constant per FSP: no join,
        so a million payments cost the arithmetic only); the program's
        currency and amount otherwise."""
        rates = {currency: rate for currency, rate, _record in plan}
        fsps = (
            self.env["spp.fsp"]
            .sudo()
            .with_context(active_test=False)
            .search([("currency_id", "in", [c.id for c in rates])], order="id")
        )
        if not fsps:
            return {
                "fsp_currency_id": SQL("p.currency_id"),
                "fsp_amount": SQL("p.amount"),
                "fsp_rate": SQL("NULL"),
            }
        currency, amount, rate = [], [], []
        for fsp in fsps:
            value = rates[fsp.currency_id]
            currency.append(SQL("WHEN %s THEN %s", fsp.id, fsp.currency_id.id))
            rate.append(SQL("WHEN %s THEN %s::numeric", fsp.id, str(value)))
            amount.append(
                SQL(
                    "WHEN %s THEN %s",
                    fsp.id,
                    fx_round_sql(
                        SQL("p.amount * %s::numeric", str(value)),
                        SQL("%s::numeric", str(fsp.currency_id.rounding)),
                    ),
                )
            )

        def case(whens, default):
            return SQL("CASE p.fsp_id %s ELSE %s END", SQL(" ").join(whens), default)

        return {
            "fsp_currency_id": case(currency, SQL("p.currency_id")),
            "fsp_amount": case(amount, SQL("p.amount")),
            "fsp_rate": case(rate, SQL("NULL::numeric")),
        }

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from odoo.addons.spp_approval.tools import guarded_write, is_guarded_write

FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
_GUARD = "ppm_float"
# What a finance officer records on an open float; the rest is the system's.
USER_FIELDS = frozenset({"amount_returned", "variance_note"})


class SppPpmFloat(models.Model):
    """The cash a PPM carries for one part of a payment point in a cycle:
    issued at execution, handed out as synced payments are accepted, the rest
    returned. Variance = issued - handed out - returned, zero or explained
    before the cycle's PPM payrolls close."""

    _name = "spp.ppm.float"
    _inherit = ["mail.thread"]
    _description = "PPM Cash Float"
    _order = "id desc"

    name = fields.Char(required=True, readonly=True)
    manager_id = fields.Many2one(
        "spp.payment.point.manager",
        string="PPM",
        required=True,
        index=True,
        readonly=True,
    )
    cycle_id = fields.Many2one(
        "spp.payment.cycle", required=True, index=True, readonly=True
    )
    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, readonly=True
    )
    payroll_point_id = fields.Many2one("spp.payroll.point", readonly=True)
    payment_point_id = fields.Many2one(
        "spp.payment.point", required=True, readonly=True, index=True
    )
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    amount_issued = fields.Monetary(readonly=True, currency_field="currency_id")
    amount_handed_out = fields.Monetary(readonly=True, currency_field="currency_id")
    amount_returned = fields.Monetary(currency_field="currency_id", tracking=True)
    variance = fields.Monetary(
        compute="_compute_variance",
        store=True,
        readonly=True,
        currency_field="currency_id",
    )
    variance_note = fields.Text(tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("closed", "Closed")],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
    )
    closed_by_id = fields.Many2one("res.users", readonly=True)
    closed_date = fields.Datetime(readonly=True)

    @api.depends("amount_issued", "amount_handed_out", "amount_returned")
    def _compute_variance(self):
        for record in self:
            record.variance = record.currency_id.round(
                record.amount_issued - record.amount_handed_out - record.amount_returned
            )

    # Protection ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(_GUARD):
            raise UserError(
                self.env._("Cash floats are issued by executing a PPM payroll.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(_GUARD):
            if vals.keys() - USER_FIELDS:
                raise UserError(
                    self.env._(
                        "Only the cash returned and the variance note of a float "
                        "are recorded by hand."
                    )
                )
            self._spp_check_finance()
            closed = self.filtered(lambda f: f.state != "open")
            if closed:
                raise UserError(
                    self.env._(
                        "Closed floats do not change: %s.",
                        ", ".join(closed.mapped("name")),
                    )
                )
            if (vals.get("amount_returned") or 0) < 0:
                raise UserError(self.env._("The cash returned cannot be negative."))
        return super().write(vals)

    def _spp_check_finance(self):
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(
                self.env._("Only finance users record the cash of a float.")
            )

    # Issue -----------------------------------------------------------------

    @api.model
    def _spp_issue_for(self, payments):
        """The floats of the parts of ``payments`` (just issued in cash): a
        part's float is created with the amount sent, or grows by it."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT payroll_point_id, SUM(amount) FROM spp_payment "
                "WHERE id = ANY(%s) AND payroll_point_id IS NOT NULL "
                "GROUP BY payroll_point_id",
                payments.ids,
            )
        )
        sums = dict(self.env.cr.fetchall())
        parts = self.env["spp.payroll.point"].sudo().browse(list(sums))
        existing = parts.filtered("float_id")
        with guarded_write(_GUARD):
            for part in existing:
                part.float_id.sudo().write(
                    {
                        "amount_issued": part.float_id.amount_issued
                        + float(sums[part.id])
                    }
                )
            new = parts - existing
            floats = (
                self.sudo()
                .with_context(tracking_disable=True)
                .create(
                    [
                        {
                            "name": f"{part.payroll_id.name} / {part.display_name}",
                            "manager_id": part.manager_id.id,
                            "cycle_id": part.payroll_id.cycle_id.id,
                            "payroll_id": part.payroll_id.id,
                            "payroll_point_id": part.id,
                            "payment_point_id": part.payment_point_id.id,
                            "amount_issued": float(sums[part.id]),
                        }
                        for part in new
                    ]
                )
            )
        for part, float_record in zip(new, floats, strict=True):
            part._spp_link_float(float_record)
        return floats

    # Handed out ------------------------------------------------------------

    def _spp_recompute_handed_out(self):
        """Set-based: each open float's cash handed out is what its part's
        payments were paid (reconciliation batches accepted); the variance
        follows in the same statement."""
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_ppm_float f
                   SET amount_handed_out = s.paid,
                       variance = COALESCE(f.amount_issued, 0) - s.paid
                                  - COALESCE(f.amount_returned, 0)
                  FROM (SELECT f2.id, COALESCE(SUM(p.paid_amount), 0) AS paid
                          FROM spp_ppm_float f2
                     LEFT JOIN spp_payment p
                            ON p.payroll_point_id = f2.payroll_point_id
                           AND p.state = 'paid'
                         WHERE f2.id = ANY(%s)
                         GROUP BY f2.id) s
                 WHERE f.id = s.id AND f.state = 'open'
                """,
                self.ids,
            )
        )
        self.invalidate_recordset(["amount_handed_out", "variance"])

    @api.model
    def _spp_refresh_for_payments(self, payments):
        """Recompute the floats that carried ``payments``."""
        floats = payments.sudo().payroll_point_id.float_id
        floats._spp_recompute_handed_out()
        return floats

    @api.model
    def _spp_add_handed_out(self, amounts_by_float):
        """Add cash handed out to floats ({float id: amount}), in one statement."""
        if not amounts_by_float:
            return
        ids = list(amounts_by_float)
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_ppm_float f
                   SET amount_handed_out = COALESCE(f.amount_handed_out, 0) + v.amount,
                       variance = COALESCE(f.variance, 0) - v.amount
                  FROM unnest(%s::int[], %s::numeric[]) AS v(id, amount)
                 WHERE f.id = v.id AND f.state = 'open'
                """,
                ids,
                [amounts_by_float[i] for i in ids],
            )
        )
        self.browse(ids).invalidate_recordset(["amount_handed_out", "variance"])

    # Closing ---------------------------------------------------------------

    def action_close(self):
        """Close floats whose cash is accounted for: variance zero, or explained."""
        self._spp_check_finance()
        for record in self:
            if record.state != "open":
                raise UserError(self.env._("%s is already closed.", record.name))
            if (
                not record.currency_id.is_zero(record.variance)
                and not (record.variance_note or "").strip()
            ):
                raise UserError(
                    self.env._(
                        "%(float)s has a variance of %(variance)s: explain it in "
                        "the variance note before closing.",
                        float=record.name,
                        variance=record.variance,
                    )
                )
        with guarded_write(_GUARD):
            self.write(
                {
                    "state": "closed",
                    "closed_by_id": self.env.uid,
                    "closed_date": fields.Datetime.now(),
                }
            )
        return True

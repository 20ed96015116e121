# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from odoo.addons.spp_approval.tools import guarded_write, is_guarded_write

# Scope of guarded_write() under which execution links a part to its float.
FLOAT_GUARD = "ppm_float"


class SppPayrollPoint(models.Model):
    """One part of a payment point in a PPM payroll: the payments one PPM carries
    cash for. A point whose total exceeds the cycle's carry limit is split into
    several parts (part_no 1, 2, ...), each within the limit, each its own PPM."""

    _name = "spp.payroll.point"
    _description = "Payroll Payment Point"
    _order = "payroll_id, payment_point_id, part_no"

    payroll_id = fields.Many2one(
        "spp.payroll", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one(related="payroll_id.company_id", store=True)
    currency_id = fields.Many2one(related="payroll_id.currency_id")
    cycle_id = fields.Many2one(related="payroll_id.cycle_id")
    payroll_state = fields.Selection(related="payroll_id.approval_state")
    payment_point_id = fields.Many2one(
        "spp.payment.point",
        required=True,
        index=True,
        ondelete="restrict",
        readonly=True,
    )
    part_no = fields.Integer(default=1, required=True, readonly=True)
    manager_id = fields.Many2one(
        "spp.payment.point.manager",
        string="PPM",
        index=True,
        ondelete="restrict",
        domain="[('approval_state', '=', 'approved'), ('state', '=', 'active'), "
        "('point_ids', 'in', [payment_point_id])]",
    )
    payment_count = fields.Integer(readonly=True)
    amount_total = fields.Monetary(readonly=True, currency_field="currency_id")
    float_id = fields.Many2one("spp.ppm.float", readonly=True)
    payment_ids = fields.One2many("spp.payment", "payroll_point_id", readonly=True)

    _part_unique = models.Constraint(
        "UNIQUE(payroll_id, payment_point_id, part_no)",
        "A payment point's parts are numbered once per payroll.",
    )

    @api.depends("payment_point_id", "part_no")
    def _compute_display_name(self):
        for part in self:
            part.display_name = (
                f"{part.payment_point_id.code or ''} {part.payment_point_id.name or ''}"
                f" / {part.part_no}"
            )

    # The approval lock ---------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(FLOAT_GUARD):
            raise UserError(
                self.env._("Payment point parts come from the payroll's grouping.")
            )
        return super().create(vals_list)

    def write(self, vals):
        if is_guarded_write(FLOAT_GUARD):
            return super().write(vals)
        if vals.keys() - {"manager_id"}:
            raise UserError(
                self.env._(
                    "Only the PPM of a part is chosen by hand; the rest follows "
                    "the payroll's grouping."
                )
            )
        self.payroll_id._spp_check_payments_open()
        result = super().write(vals)
        self._spp_check_manager()
        self.payroll_id._spp_record_contributor("lines")
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_submitted(self):
        self.payroll_id._spp_check_payments_open()

    def _spp_check_manager(self):
        """The PPM of a part is approved, active and allowed to serve its point."""
        for part in self.filtered("manager_id"):
            manager = part.manager_id
            if (
                manager.approval_state != "approved"
                or manager.state != "active"
                or part.payment_point_id not in manager.point_ids
            ):
                raise ValidationError(
                    self.env._(
                        "%(ppm)s cannot carry %(part)s: a part's payment point "
                        "manager must be approved, active and assigned to its "
                        "payment point.",
                        ppm=manager.name,
                        part=part.display_name,
                    )
                )

    def _spp_link_float(self, float_record):
        with guarded_write(FLOAT_GUARD):
            self.sudo().write({"float_id": float_record.id})

    # Per-point PDF ---------------------------------------------------------

    def _spp_report_lines(self):
        self.ensure_one()
        return self.payment_ids.sorted(lambda p: (p.partner_id.name or "", p.id))

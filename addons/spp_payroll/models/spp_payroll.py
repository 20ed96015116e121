# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

OUTCOMES = {
    "paid": ("paid",),
    "failed": ("failed", "rejected", "reversed"),
    "pending": ("approved", "queued", "sent", "accepted", "processing"),
    "unknown": ("unknown",),
}
FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"


class SppPayroll(models.Model):
    """One payment per selected beneficiary of a cycle, checked, approved, paid."""

    _name = "spp.payroll"
    _inherit = [
        "spp.approval.mixin",
        "spp.payroll.generation.mixin",
        "spp.payroll.export.mixin",
    ]
    _description = "Payroll"
    _order = "id desc"

    name = fields.Char(required=True, tracking=True)
    cycle_id = fields.Many2one(
        "spp.payment.cycle",
        required=True,
        index=True,
        ondelete="restrict",
        domain=[("approval_state", "=", "approved")],
    )
    program_id = fields.Many2one(related="cycle_id.program_id", store=True)
    company_id = fields.Many2one(related="cycle_id.company_id", store=True)
    currency_id = fields.Many2one(related="cycle_id.currency_id")
    kind = fields.Selection(
        [
            ("digital", "Digital"),
            ("payment_point", "Payment Point"),
            ("adhoc", "Ad-hoc (CSV)"),
        ],
        required=True,
        default="digital",
    )
    origin = fields.Selection(
        [("regular", "Regular"), ("undelivered", "Undelivered")],
        default="regular",
        required=True,
        readonly=True,
    )
    parent_payroll_id = fields.Many2one(
        "spp.payroll", string="Undelivered From", readonly=True, index=True
    )
    member_domain = fields.Char(
        string="Beneficiary Filter",
        default="[]",
        help="Domain on the program membership (area, payments received, ...).",
    )
    missed_min = fields.Integer(
        string="Missed At Least",
        help="Only members who missed at least this many payments (0: everyone).",
    )
    enforce_duplicates = fields.Boolean(
        help="Move flagged payments out of the payroll, into their own report."
    )
    variance_threshold = fields.Float(
        string="Variance Threshold (%)",
        default=20.0,
        help="The dry run lists amounts changed by more than this since the "
        "previous cycle.",
    )
    payment_ids = fields.One2many("spp.payment", "payroll_id", readonly=True)
    excluded_payment_ids = fields.One2many(
        "spp.payment", "excluded_payroll_id", readonly=True
    )
    generated_date = fields.Datetime(readonly=True, copy=False)
    preview = fields.Json(readonly=True, copy=False)
    summary = fields.Json(compute="_compute_summary")
    payment_count = fields.Integer(compute="_compute_summary")
    beneficiary_count = fields.Integer(compute="_compute_summary")
    total_amount = fields.Monetary(
        compute="_compute_summary", currency_field="currency_id"
    )
    flagged_count = fields.Integer(compute="_compute_summary")
    capped_count = fields.Integer(compute="_compute_summary")
    rejected_count = fields.Integer(compute="_compute_summary")
    quarantined_count = fields.Integer(
        string="Held (Details Changed)", compute="_compute_summary"
    )
    summary_html = fields.Html(compute="_compute_summary", sanitize=False)
    preview_html = fields.Html(compute="_compute_preview_html", sanitize=False)
    run_ids = fields.One2many("spp.payroll.run", "payroll_id", readonly=True)
    running = fields.Boolean(compute="_compute_running")

    _spp_approval_writable_fields = frozenset({"enforce_duplicates"})

    # Summary -------------------------------------------------------------

    def _compute_summary(self):
        for payroll in self:
            summary = payroll._spp_summary() if payroll.id else {}
            payroll.summary = summary
            totals = summary.get("totals", {})
            payroll.payment_count = totals.get("payments", 0)
            payroll.beneficiary_count = totals.get("beneficiaries", 0)
            payroll.total_amount = totals.get("amount", 0.0)
            payroll.flagged_count = totals.get("flagged", 0)
            payroll.capped_count = totals.get("capped", 0)
            payroll.rejected_count = totals.get("rejected", 0)
            payroll.quarantined_count = totals.get("quarantined", 0)
            payroll.summary_html = _html_tables(
                {
                    self.env._("Totals"): [totals] if totals else [],
                    self.env._("By FSP"): summary.get("by_fsp", []),
                    self.env._("By component"): summary.get("by_component", []),
                    self.env._("Results by FSP"): [
                        {"fsp": fsp, **{o: f"{n} ({a:.2f})" for o, (n, a) in b.items()}}
                        for fsp, b in summary.get("by_outcome", {}).items()
                    ],
                }
            )

    @api.depends("preview")
    def _compute_preview_html(self):
        for payroll in self:
            preview = payroll.preview or {}
            variance = preview.get("variance") or {}
            samples = variance.pop("samples", {}) if variance else {}
            totals = {k: v for k, v in preview.items() if k != "variance"}
            payroll.preview_html = _html_tables(
                {
                    self.env._("Dry run"): [totals] if totals else [],
                    self.env._("Variance against the previous cycle"): [variance]
                    if variance
                    else [],
                    self.env._("Examples (registrant IDs)"): [
                        {"change": k, "registrants": ", ".join(v or [])}
                        for k, v in samples.items()
                    ],
                }
            )

    def _spp_summary(self):
        """Counts and totals from SQL aggregates, never from loaded records."""
        self.ensure_one()
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT COUNT(*), COUNT(DISTINCT partner_id),
                       COALESCE(SUM(amount) FILTER (WHERE NOT entitlement_rejected), 0),
                       COUNT(*) FILTER (WHERE is_duplicate),
                       COUNT(*) FILTER (WHERE is_capped),
                       COUNT(*) FILTER (WHERE entitlement_rejected),
                       COUNT(*) FILTER (WHERE is_over_balance),
                       COUNT(*) FILTER (WHERE is_quarantined)
                  FROM spp_payment WHERE payroll_id = %s
                """,
                self.id,
            )
        )
        row = cr.fetchone()
        totals = dict(
            zip(
                (
                    "payments",
                    "beneficiaries",
                    "amount",
                    "flagged",
                    "capped",
                    "rejected",
                    "over_balance",
                    "quarantined",
                ),
                row,
                strict=True,
            )
        )
        totals["amount"] = float(totals["amount"])
        return {
            "totals": totals,
            "by_fsp": self._spp_summary_by_fsp(),
            "by_component": self._spp_summary_by_component(),
            "by_outcome": self._spp_outcomes(),
        }

    def _spp_summary_by_fsp(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(f.name, '-'), COUNT(*), COALESCE(SUM(p.amount), 0)
                  FROM spp_payment p LEFT JOIN spp_fsp f ON f.id = p.fsp_id
                 WHERE p.payroll_id = %s AND NOT p.entitlement_rejected
                 GROUP BY f.name ORDER BY f.name
                """,
                self.id,
            )
        )
        return [
            {"fsp": name, "payments": n, "amount": float(total)}
            for name, n, total in self.env.cr.fetchall()
        ]

    def _spp_summary_by_component(self):
        self.env.cr.execute(
            SQL(
                """
                SELECT c.key, COUNT(*), SUM(c.value::numeric)
                  FROM spp_payment p, jsonb_each_text(p.amount_breakdown) c
                 WHERE p.payroll_id = %s AND NOT p.entitlement_rejected
                 GROUP BY c.key ORDER BY c.key
                """,
                self.id,
            )
        )
        return [
            {"component": key, "payments": n, "amount": float(total)}
            for key, n, total in self.env.cr.fetchall()
        ]

    def _spp_outcomes(self):
        """Payments by outcome (paid, failed, pending, unknown) and FSP."""
        self.env.cr.execute(
            SQL(
                """
                SELECT COALESCE(f.name, '-'), p.state, COUNT(*),
                       COALESCE(SUM(p.amount), 0)
                  FROM spp_payment p LEFT JOIN spp_fsp f ON f.id = p.fsp_id
                 WHERE p.payroll_id = %s
                 GROUP BY f.name, p.state
                """,
                self.id,
            )
        )
        outcome_of = {s: o for o, states in OUTCOMES.items() for s in states}
        result = {}
        for fsp, state, n, amount in self.env.cr.fetchall():
            outcome = outcome_of.get(state)
            if not outcome:
                continue
            bucket = result.setdefault(fsp, {o: [0, 0.0] for o in OUTCOMES})
            bucket[outcome][0] += n
            bucket[outcome][1] += float(amount)
        return result

    @api.depends("run_ids.state")
    def _compute_running(self):
        for payroll in self:
            payroll.running = any(run.state == "running" for run in payroll.run_ids)

    # Maker-checker -------------------------------------------------------

    def _spp_approval_amount(self):
        return self.total_amount

    def _spp_check_can_submit(self):
        if not self.generated_date or not self.payment_count:
            raise UserError(
                self.env._(
                    "Generate the payments of %s before submitting it.", self.name
                )
            )

    def _on_spp_approved(self):
        payments = self.payment_ids
        rejected = payments.filtered("entitlement_rejected")
        rejected._set_cancelled(reason=self.env._("Rejected by the cycle's rules."))
        (payments - rejected)._set_approved(
            reason=self.env._("Payroll %s approved.", self.name)
        )

    # Execution -----------------------------------------------------------

    def _spp_check_finance_user(self):
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users execute payrolls."))

    def action_check_balances(self):
        """Total to pay per FSP against the FSP account's balance."""
        self.ensure_one()
        lines = []
        payable, _held = self._spp_payable()
        for fsp in payable.fsp_id:
            total = sum(
                payable.filtered(lambda p, f=fsp: p.fsp_id == f).mapped("amount")
            )
            balance = fsp._spp_get_balance()
            lines.append(
                {
                    "fsp": fsp.name,
                    "fsp_id": fsp.id,
                    "to_pay": total,
                    "balance": balance,
                    "sufficient": balance is None
                    or fsp.currency_id.compare_amounts(balance, total) >= 0,
                }
            )
        return lines

    def action_open_execute_wizard(self):
        self.ensure_one()
        self._spp_check_finance_user()
        wizard = self.env["spp.payroll.execute.wizard"].create({"payroll_id": self.id})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Execute %s", self.name),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_execute(self):
        self.ensure_one()
        self._spp_check_finance_user()
        if self.approval_state != "approved":
            raise UserError(self.env._("Only an approved payroll is executed."))
        short = [
            line for line in self.action_check_balances() if not line["sufficient"]
        ]
        if short:
            raise UserError(
                self.env._(
                    "Insufficient FSP balance: %s. Nothing was sent.",
                    "; ".join(
                        f"{line['fsp']} has {line['balance']}, needs {line['to_pay']}"
                        for line in short
                    ),
                )
            )
        payments, held = self._spp_payable()
        return self.env["spp.payroll.run"]._spp_start(
            self, payments, "execute", held=held
        )

    def _spp_payable(self):
        """(approved payments to send, approved payments held for a checker)."""
        approved = self.payment_ids.filtered(lambda p: p.state == "approved")
        held = approved.filtered("is_quarantined")
        return approved - held, held

    def action_retry_failed(self):
        """Re-send failed and rejected payments as new attempts."""
        self.ensure_one()
        self._spp_check_finance_user()
        payments = self.payment_ids.filtered(
            lambda p: p.state in ("failed", "rejected")
        )
        if not payments:
            raise UserError(self.env._("No failed or rejected payment to retry."))
        return self.env["spp.payroll.run"]._spp_start(self, payments, "retry")

    def action_resolve_unknown(self):
        """Ask the FSPs about unknown payments; never re-send them blind."""
        self.ensure_one()
        self._spp_check_finance_user()
        unknown = self.payment_ids.filtered(lambda p: p.state == "unknown")
        updated = 0
        for fsp in unknown.fsp_id:
            updated += (
                fsp._spp_fetch_status(unknown.filtered(lambda p, f=fsp: p.fsp_id == f))
                or 0
            )
        return updated

    def action_release_lock(self):
        """A Finance Manager frees a payroll whose run died mid-way."""
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(self.env._("Only a Finance Manager releases a run lock."))
        self.run_ids.filtered(lambda r: r.state == "running")._spp_abort()
        return True

    # Missed payments -----------------------------------------------------

    def action_create_undelivered_payroll(self):
        """A new payroll re-issuing this one's unpaid payments."""
        self.ensure_one()
        if self.program_id.missed_payment_policy != "undelivered_payroll":
            raise UserError(
                self.env._(
                    "The program's missed-payment policy is not undelivered payrolls."
                )
            )
        if self.running or self.approval_state != "approved":
            raise UserError(
                self.env._("Build undelivered payrolls from executed payrolls only.")
            )
        unpaid = self.payment_ids.filtered(lambda p: p.state in ("failed", "rejected"))
        if not unpaid:
            raise UserError(
                self.env._("Every payment of %s is paid or pending.", self.name)
            )
        undelivered = self.create(
            {
                "name": self.env._("%s - undelivered", self.name),
                "cycle_id": self.cycle_id.id,
                "kind": self.kind,
            }
        )
        undelivered._spp_generate_undelivered(self, unpaid)
        return undelivered


def _html_tables(sections):
    """Small read-only tables for the form: one per section, rows of dicts."""
    parts = []
    for title, rows in sections.items():
        if not rows:
            continue
        headers = list(rows[0])
        head = Markup("").join(Markup("<th>%s</th>") % h for h in headers)
        body = Markup("").join(
            Markup("<tr>%s</tr>")
            % Markup("").join(
                Markup("<td>%s</td>") % escape(row.get(h)) for h in headers
            )
            for row in rows
        )
        parts.append(
            Markup(
                "<h5>%s</h5><table class='table table-sm'><thead><tr>%s</tr>"
                "</thead><tbody>%s</tbody></table>"
            )
            % (title, head, body)
        )
    return Markup("").join(parts)

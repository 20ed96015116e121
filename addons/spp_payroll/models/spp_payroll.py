# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core import states

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, format_amount, formatLang

from odoo.addons.spp_payment_base.tools import (
    guarded_write,
    id_array,
    refuse_fields,
    refuse_records,
)

from .spp_payment import PAYROLL_GUARD

OUTCOMES = {
    "paid": ("paid",),
    "failed": ("failed", "rejected", "reversed"),
    "pending": ("approved", "queued", "sent", "accepted", "processing"),
    "unknown": ("unknown",),
}
FINANCE_OFFICER = "spp_payment_base.group_spp_finance_officer"
FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
# The lifecycle the user sees, on top of the approval state: where the payroll
# stands once approved follows from its runs and its payments' states.
PAYROLL_STATUSES = [
    ("draft", "Draft"),
    ("submitted", "Submitted"),
    ("approved", "Approved"),
    ("executing", "Executing"),
    ("executed", "Executed"),
    ("reconciled", "Reconciled"),
    ("closed", "Closed"),
]
# Payments that did not reach their beneficiary, or whose fate nobody knows.
FAILED_STATES = ("failed", "rejected", "reversed", "unknown")
# Attempts still waiting for the FSP's answer (found through the partial index
# of attempts in flight, not by scanning the payroll's payments).
AWAITING_STATES = ("sent", "accepted", "processing", "unknown")
# Set by the lifecycle code only (_spp_refresh_status, action_close, the
# reconciliation modules), never by a client.
LIFECYCLE_FIELDS = frozenset(
    {"status", "has_failures", "reconciled_date", "closed_date"}
)
EXECUTABLE_STATUSES = ("approved", "executed", "reconciled")
# The payroll's stored totals (_compute_totals).
TOTAL_FIELDS = (
    "payment_count",
    "beneficiary_count",
    "total_amount",
    "flagged_count",
    "capped_count",
    "rejected_count",
    "quarantined_count",
    "summary_totals",
)


class SppPayroll(models.Model):
    """One payment per selected beneficiary of a cycle, checked, approved, paid."""

    _name = "spp.payroll"
    _inherit = ["spp.approval.mixin"]
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
    lines_edited = fields.Boolean(
        string="Payments Edited",
        readonly=True,
        copy=False,
        help="Payments were edited after generation: the duplicate, cap and "
        "balance checks run again at submission (see Payment Changes).",
    )
    payment_change_ids = fields.One2many(
        "spp.payment.change", "payroll_id", string="Payment Changes", readonly=True
    )
    preview = fields.Json(readonly=True, copy=False)
    summary = fields.Json(compute="_compute_counts")
    # Stored, kept by the statements that put payments in the payroll, flag
    # or move them (_spp_refresh_totals) and by the ORM's own writes (the
    # dependencies): a list of payrolls reads them, never counts payments.
    # Transitions change none of them (amounts, flags and FSPs are frozen at
    # submission by the payroll's lock trigger).
    payment_count = fields.Integer(compute="_compute_totals", store=True)
    beneficiary_count = fields.Integer(compute="_compute_totals", store=True)
    total_amount = fields.Monetary(
        compute="_compute_totals", store=True, currency_field="currency_id"
    )
    flagged_count = fields.Integer(compute="_compute_totals", store=True)
    capped_count = fields.Integer(compute="_compute_totals", store=True)
    rejected_count = fields.Integer(compute="_compute_totals", store=True)
    quarantined_count = fields.Integer(
        string="Held (Details Changed)", compute="_compute_totals", store=True
    )
    # The rest of the frozen summary: over-balance count, by FSP, by component.
    summary_totals = fields.Json(compute="_compute_totals", store=True)
    summary_html = fields.Html(compute="_compute_counts", sanitize=False)
    # Its last run and its payments by outcome, for the live progress widget.
    progress_info = fields.Json(compute="_compute_counts")
    preview_html = fields.Html(compute="_compute_preview_html", sanitize=False)
    run_ids = fields.One2many("spp.payroll.run", "payroll_id", readonly=True)
    running = fields.Boolean(compute="_compute_running")
    status = fields.Selection(
        PAYROLL_STATUSES,
        default="draft",
        required=True,
        readonly=True,
        copy=False,
        index=True,
        help="Where the payroll stands: its approval, then its execution, "
        "reconciliation and closing. Derived from its runs and payments.",
    )
    has_failures = fields.Boolean(
        string="With Failures",
        readonly=True,
        copy=False,
        help="Some payments failed, were rejected or reversed, or their outcome "
        "is unknown.",
    )
    reconciled_date = fields.Datetime(
        string="Last Reconciled",
        readonly=True,
        copy=False,
        help="When an accepted reconciliation batch last settled payments of "
        "this payroll.",
    )
    closed_date = fields.Datetime(readonly=True, copy=False)
    # Smart buttons, counted together in one statement (_compute_counts).
    count_payments = fields.Integer(string="Payments Count", compute="_compute_counts")
    count_paid = fields.Integer(string="Paid Count", compute="_compute_counts")
    count_failed = fields.Integer(string="Failed Count", compute="_compute_counts")
    count_pending = fields.Integer(string="Pending Count", compute="_compute_counts")
    count_unknown = fields.Integer(string="Unknown Count", compute="_compute_counts")
    count_runs = fields.Integer(string="Runs Count", compute="_compute_counts")
    count_callbacks = fields.Integer(
        string="Callbacks Count", compute="_compute_counts"
    )

    _spp_approval_writable_fields = frozenset({"enforce_duplicates"})

    # Summary -------------------------------------------------------------

    @api.depends(
        "payment_ids.amount",
        "payment_ids.partner_id",
        "payment_ids.fsp_id",
        "payment_ids.amount_breakdown",
        "payment_ids.entitlement_rejected",
        "payment_ids.is_duplicate",
        "payment_ids.is_capped",
        "payment_ids.is_over_balance",
        "payment_ids.is_quarantined",
    )
    def _compute_totals(self):
        for payroll in self:
            totals = payroll._spp_live_totals() if payroll.id else {}
            counts = totals.get("totals", {})
            payroll.payment_count = counts.get("payments", 0)
            payroll.beneficiary_count = counts.get("beneficiaries", 0)
            payroll.total_amount = counts.get("amount", 0.0)
            payroll.flagged_count = counts.get("flagged", 0)
            payroll.capped_count = counts.get("capped", 0)
            payroll.rejected_count = counts.get("rejected", 0)
            payroll.quarantined_count = counts.get("quarantined", 0)
            payroll.summary_totals = {
                "over_balance": counts.get("over_balance", 0),
                "by_fsp": totals.get("by_fsp", []),
                "by_component": totals.get("by_component", []),
            }

    def _spp_refresh_totals(self):
        """The payments of these payrolls were put in, flagged or moved by
        SQL: their stored totals are counted again (at the next flush or
        read, with one pass of aggregates per payroll)."""
        fields_ = [self._fields[name] for name in TOTAL_FIELDS]
        self.env.add_to_compute(fields_[0], self)
        for field in fields_[1:]:
            self.env.add_to_compute(field, self)

    @api.depends("preview")
    def _compute_preview_html(self):
        for payroll in self:
            payroll.preview_html = payroll._spp_render_sections(
                payroll._spp_preview_sections(payroll.preview or {})
            )

    # Smart buttons ---------------------------------------------------------

    def _spp_count_columns(self):
        """Count field -> SQL expression over payroll ``pr`` and ``pay``, the
        aggregate of its payments (total, by outcome, their FSPs). Modules
        add the counts of what they link to a payroll."""
        return {
            "count_payments": SQL("pay.total"),
            "count_paid": SQL("pay.paid"),
            "count_failed": SQL("pay.failed"),
            "count_pending": SQL("pay.pending"),
            "count_unknown": SQL("pay.unknown"),
            "count_runs": SQL(
                "(SELECT COUNT(*) FROM spp_payroll_run r WHERE r.payroll_id = pr.id)"
            ),
            # Callbacks name an FSP, not a payroll: those of its payments'
            # FSPs since its first run.
            "count_callbacks": SQL(
                """(SELECT COUNT(*) FROM spp_payment_callback c
                     WHERE c.fsp_id = ANY(pay.fsps)
                       AND c.received_date >= (SELECT MIN(r.create_date)
                                                 FROM spp_payroll_run r
                                                WHERE r.payroll_id = pr.id))"""
            ),
        }

    def _compute_counts(self):
        """The smart buttons' counts and the summary, from one pass over the
        payrolls' payments grouped by FSP and state (the summary's totals are
        stored: see _compute_totals)."""
        columns = self._spp_count_columns()
        counts = {}
        ids = [i for i in self.ids if isinstance(i, int)]
        if ids:
            self.env.flush_all()
            self.env.cr.execute(
                SQL(
                    """
                    WITH g AS MATERIALIZED (
                        SELECT p.payroll_id, p.fsp_id, p.state, COUNT(*) AS n,
                               COALESCE(SUM(p.amount), 0) AS amount
                          FROM spp_payment p
                         WHERE p.payroll_id = ANY(%(ids)s)
                         GROUP BY p.payroll_id, p.fsp_id, p.state
                    )
                    SELECT pr.id,
                           (SELECT json_agg(json_build_array(
                                       g.fsp_id, g.state, g.n, g.amount))
                              FROM g WHERE g.payroll_id = pr.id),
                           %(columns)s
                      FROM spp_payroll pr
                      LEFT JOIN LATERAL (
                          SELECT COALESCE(SUM(g.n), 0)::bigint AS total,
                                 SUM(g.n) FILTER (WHERE g.state IN %(paid)s)::bigint
                                     AS paid,
                                 SUM(g.n) FILTER (WHERE g.state IN %(failed)s)::bigint
                                     AS failed,
                                 SUM(g.n) FILTER (WHERE g.state IN %(pending)s)::bigint
                                     AS pending,
                                 SUM(g.n) FILTER (WHERE g.state IN %(unknown)s)::bigint
                                     AS unknown,
                                 array_agg(DISTINCT g.fsp_id) AS fsps
                            FROM g WHERE g.payroll_id = pr.id
                      ) pay ON TRUE
                     WHERE pr.id = ANY(%(ids)s)
                    """,
                    columns=SQL(", ").join(columns.values()),
                    ids=ids,
                    **{o: OUTCOMES[o] for o in OUTCOMES},
                )
            )
            counts = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        groups = self.env.cr.cache.setdefault("spp_payroll_groups", {})
        try:
            for payroll in self:
                values = counts.get(payroll.id) or [None] + [0] * len(columns)
                for name, value in zip(columns, values[1:], strict=True):
                    payroll[name] = value or 0
                if isinstance(payroll.id, int):
                    groups[payroll.id] = values[0] or []
                    summary = payroll._spp_summary()
                else:
                    summary = {}
                payroll.summary = summary
                payroll.progress_info = payroll._spp_progress_info(values[0] or [])
                payroll.summary_html = payroll._spp_render_sections(
                    payroll._spp_summary_sections(summary)
                )
        finally:
            for payroll_id in ids:
                groups.pop(payroll_id, None)

    def _spp_progress_info(self, groups):
        """The last run's chunks and the payments by outcome (``groups``:
        (FSP, state, count, amount) of the payroll's payments)."""
        run = self.run_ids[:1]
        if not run:
            return {}
        kinds = dict(run._fields["kind"]._description_selection(self.env))
        by_state = {}
        for _fsp, state, n, _amount in groups:
            by_state[state] = by_state.get(state, 0) + n
        outcomes = []
        for key, label, color, states_ in (
            ("to_send", self.env._("To send"), "muted", ("approved", "queued")),
            ("sent", self.env._("Sent"), "info", ("sent", "accepted", "processing")),
            ("paid", self.env._("Paid"), "success", ("paid",)),
            (
                "failed",
                self.env._("Failed"),
                "danger",
                ("failed", "rejected", "reversed"),
            ),
            ("unknown", self.env._("Unknown"), "warning", ("unknown",)),
        ):
            outcomes.append(
                {
                    "key": key,
                    "label": label,
                    "color": color,
                    "count": sum(by_state.get(state, 0) for state in states_),
                }
            )
        return {
            "run": {
                "label": kinds.get(run.kind, run.kind),
                "state": run.state,
                "chunks_done": run.chunks_done,
                "chunk_count": run.chunk_count,
                "percent": round(run.progress),
            },
            "outcomes": outcomes,
        }

    def _spp_open_list(self, model, name, domain, views=None):
        self.ensure_one()
        action = {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": domain,
            "context": {"create": False},
        }
        if views:
            action["views"] = views
        return action

    def action_view_payments(self):
        """The payroll's payments, paged (all of them, or one outcome's:
        ``spp_outcome`` in the context)."""
        self.ensure_one()
        outcome = self.env.context.get("spp_outcome")
        domain = [("payroll_id", "=", self.id)]
        if outcome in OUTCOMES:
            domain.append(("state", "in", OUTCOMES[outcome]))
        list_view = self.env.ref("spp_payroll.view_spp_payroll_payment_list")
        action = self._spp_open_list(
            "spp.payment",
            self.env._("Payments of %s", self.name),
            domain,
            views=[(list_view.id, "list"), (False, "form")],
        )
        action["context"] = {"create": False, "active_test": False}
        return action

    def action_view_runs(self):
        return self._spp_open_list(
            "spp.payroll.run",
            self.env._("Runs of %s", self.name),
            [("payroll_id", "=", self.id)],
        )

    def action_view_callbacks(self):
        self.ensure_one()
        first_run = (
            self.env["spp.payroll.run"]
            .sudo()
            .search([("payroll_id", "=", self.id)], order="create_date", limit=1)
        )
        self.env.cr.execute(
            SQL(
                "SELECT array_agg(DISTINCT fsp_id) FROM spp_payment "
                "WHERE payroll_id = %s AND fsp_id IS NOT NULL",
                self.id,
            )
        )
        fsps = self.env.cr.fetchone()[0] or []
        domain = [("fsp_id", "in", fsps)]
        domain += (
            [("received_date", ">=", first_run.create_date)]
            if first_run
            else [("id", "=", False)]
        )
        return self._spp_open_list(
            "spp.payment.callback",
            self.env._("Callbacks for %s", self.name),
            domain,
        )

    # Readable tables -------------------------------------------------------

    def _spp_render_sections(self, sections):
        sections = [section for section in sections if section["rows"]]
        if not sections:
            return False
        return self.env["ir.qweb"]._render(
            "spp_payroll.payroll_summary_tables", {"sections": sections}
        )

    def _spp_figure_labels(self):
        """Human labels of the keys of the summary and the dry run."""
        return {
            "payments": self.env._("Payments"),
            "beneficiaries": self.env._("Beneficiaries"),
            "amount": self.env._("Total amount"),
            "flagged": self.env._("Flagged as possible duplicates"),
            "capped": self.env._("Cut to the cycle's cap"),
            "rejected": self.env._("Rejected by the cycle's rules"),
            "over_balance": self.env._("Above the member's balance"),
            "quarantined": self.env._("Held: details changed"),
            "back_payments": self.env._("With back payments"),
            "date": self.env._("Dry run at"),
            "previous": self.env._("Compared with the payroll"),
            "new": self.env._("New beneficiaries"),
            "dropped": self.env._("No longer paid"),
            "amount_changed": self.env._("Amount changed beyond the threshold"),
            "destination_changed": self.env._("Destination changed"),
        }

    def _spp_component_labels(self):
        labels = {
            "fixed": self.env._("Fixed amount"),
            "cap_reduction": self.env._("Cut by the cap"),
            "back_payments": self.env._("Back payments"),
            "balance_reduction": self.env._("Cut by the balance"),
        }
        labels.update({rule.code: rule.name for rule in self.cycle_id.rule_ids})
        return labels

    def _spp_money(self, amount):
        return format_amount(self.env, float(amount or 0), self.currency_id)

    def _spp_number(self, value):
        return formatLang(self.env, value or 0, digits=0)

    def _spp_figures(self, values, keys, money=("amount",)):
        """Rows (label, formatted value) of ``keys`` present in ``values``."""
        labels = self._spp_figure_labels()
        rows = []
        for key in keys:
            if key not in values:
                continue
            value = values[key]
            if key in money:
                text = self._spp_money(value)
            elif isinstance(value, int | float):
                text = self._spp_number(value)
            else:
                text = value or "-"
            rows.append([labels.get(key, key), text])
        return rows

    def _spp_summary_sections(self, summary):
        figure = [(self.env._("Figure"), False), (self.env._("Value"), True)]
        amounts = [(self.env._("Payments"), True), (self.env._("Amount"), True)]
        components = self._spp_component_labels()
        outcomes = {
            "paid": self.env._("Paid"),
            "failed": self.env._("Failed, rejected or reversed"),
            "pending": self.env._("Pending"),
            "unknown": self.env._("Unknown"),
        }
        return [
            {
                "title": self.env._("Totals"),
                "columns": figure,
                "rows": self._spp_figures(
                    summary.get("totals", {}),
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
                ),
            },
            {
                "title": self.env._("By FSP"),
                "columns": [(self.env._("FSP"), False), *amounts],
                "rows": [
                    [
                        line["fsp"],
                        self._spp_number(line["payments"]),
                        self._spp_money(line["amount"]),
                    ]
                    for line in summary.get("by_fsp", [])
                ],
            },
            {
                "title": self.env._("By component"),
                "columns": [(self.env._("Component"), False), *amounts],
                "rows": [
                    [
                        components.get(line["component"], line["component"]),
                        self._spp_number(line["payments"]),
                        self._spp_money(line["amount"]),
                    ]
                    for line in summary.get("by_component", [])
                ],
            },
            {
                "title": self.env._("Results by FSP"),
                "columns": [
                    (self.env._("FSP"), False),
                    (self.env._("Outcome"), False),
                    *amounts,
                ],
                "rows": [
                    [fsp, outcomes[outcome], self._spp_number(n), self._spp_money(a)]
                    for fsp, by_outcome in sorted(summary.get("by_outcome", {}).items())
                    for outcome, (n, a) in by_outcome.items()
                    if n
                ],
            },
        ]

    def _spp_preview_sections(self, preview):
        figure = [(self.env._("Figure"), False), (self.env._("Value"), True)]
        variance = dict(preview.get("variance") or {})
        samples = variance.pop("samples", None) or {}
        if variance and not variance.get("previous"):
            variance["previous"] = self.env._("none (first payroll of this kind)")
        labels = self._spp_figure_labels()
        return [
            {
                "title": self.env._("Dry run"),
                "columns": figure,
                "rows": self._spp_figures(
                    preview,
                    (
                        "payments",
                        "amount",
                        "capped",
                        "rejected",
                        "over_balance",
                        "back_payments",
                        "quarantined",
                        "date",
                    ),
                ),
            },
            {
                "title": self.env._("Variance against the previous cycle"),
                "columns": figure,
                "rows": self._spp_figures(
                    variance,
                    (
                        "previous",
                        "new",
                        "dropped",
                        "amount_changed",
                        "destination_changed",
                        "quarantined",
                    ),
                ),
            },
            {
                "title": self.env._("Examples (registrant IDs)"),
                "columns": [
                    (self.env._("Change"), False),
                    (self.env._("Registrants"), False),
                ],
                "rows": [
                    [labels.get(key, key), ", ".join(str(i) for i in ids if i)]
                    for key, ids in samples.items()
                    if ids
                ],
            },
        ]

    def _spp_summary(self):
        """The stored totals (by FSP and component too) and the payments by
        outcome and FSP (counted live: transitions move them)."""
        self.ensure_one()
        stored = self.summary_totals or {}
        totals = {
            "payments": self.payment_count,
            "beneficiaries": self.beneficiary_count,
            "amount": self.total_amount,
            "flagged": self.flagged_count,
            "capped": self.capped_count,
            "rejected": self.rejected_count,
            "over_balance": stored.get("over_balance", 0),
            "quarantined": self.quarantined_count,
        }
        return {
            "totals": totals,
            "by_fsp": stored.get("by_fsp", []),
            "by_component": stored.get("by_component", []),
            "by_outcome": self._spp_outcomes(),
        }

    def _spp_live_totals(self):
        """Counts and totals from SQL aggregates, never from loaded records."""
        self.ensure_one()
        self.env["spp.payment"].flush_model()
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
        # A million payments share a few hundred breakdowns: each distinct one
        # is expanded once, weighted by its payments.
        self.env.cr.execute(
            SQL(
                """
                SELECT c.key, SUM(g.n)::bigint, SUM(c.value::numeric * g.n)
                  FROM (SELECT amount_breakdown, COUNT(*) AS n
                          FROM spp_payment
                         WHERE payroll_id = %s AND NOT entitlement_rejected
                         GROUP BY amount_breakdown) g,
                       jsonb_each_text(g.amount_breakdown) c
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
        """Payments by outcome (paid, failed, pending, unknown) and FSP, from
        the groups _compute_counts read, or counted here."""
        self.ensure_one()
        groups = self.env.cr.cache.get("spp_payroll_groups", {}).get(self.id)
        if groups is None:
            self.env["spp.payment"].flush_model()
            self.env.cr.execute(
                SQL(
                    "SELECT fsp_id, state, COUNT(*), COALESCE(SUM(amount), 0) "
                    "FROM spp_payment WHERE payroll_id = %s GROUP BY fsp_id, state",
                    self.id,
                )
            )
            groups = self.env.cr.fetchall()
        names = dict(
            self.env["spp.fsp"]
            .sudo()
            .with_context(active_test=False)
            .browse({fsp for fsp, *_rest in groups if fsp})
            .mapped(lambda fsp: (fsp.id, fsp.name))
        )
        outcome_of = {s: o for o, states in OUTCOMES.items() for s in states}
        result = {}
        for fsp_id, state, n, amount in groups:
            outcome = outcome_of.get(state)
            if not outcome:
                continue
            fsp = names.get(fsp_id) or "-"
            bucket = result.setdefault(fsp, {o: [0, 0.0] for o in OUTCOMES})
            bucket[outcome][0] += n
            bucket[outcome][1] += float(amount)
        return result

    @api.depends("run_ids.state")
    def _compute_running(self):
        for payroll in self:
            payroll.running = any(run.state == "running" for run in payroll.run_ids)

    # Lifecycle -----------------------------------------------------------

    def _spp_refresh_status(self, failures="full"):
        """Derive the status of these payrolls from their approval, runs and
        payments: one UPDATE for the lot, writing only the rows that change."""
        if self:
            self._spp_update_status(SQL("pr.id = ANY(%s)", list(self.ids)), failures)

    @api.model
    def _spp_refresh_status_of_payments(self, payment_ids, target):
        """The payments moved to ``target``: refresh their payrolls, unless a
        run of theirs is running (it is ``executing`` until its last chunk,
        which refreshes it; no chunk writes the payroll's row meanwhile). The
        move tells whether failures appear (``set``), may disappear
        (``clear``: checked only on payrolls that had some) or neither."""
        # Most often a chunk of a running run: its payrolls are found first
        # (by the payments' ids), and nothing else runs when all are running.
        # Deriving the status costs a pass over each payroll's attempts,
        # wasted on a payroll that stays executing.
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """SELECT pr.id FROM spp_payroll pr
                    WHERE pr.id IN (SELECT payroll_id FROM spp_payment
                                     WHERE id = ANY(%s::int[])
                                       AND payroll_id IS NOT NULL)
                      AND NOT EXISTS (SELECT 1 FROM spp_payroll_run r
                                       WHERE r.payroll_id = pr.id
                                         AND r.state = 'running')""",
                id_array(payment_ids),
            )
        )
        payroll_ids = [row[0] for row in self.env.cr.fetchall()]
        if not payroll_ids:
            return
        if target in FAILED_STATES:
            failures = "set"
        elif set(states.sources_of(target)) & set(FAILED_STATES):
            failures = "clear"
        else:
            failures = "keep"
        self._spp_update_status(SQL("pr.id = ANY(%s)", payroll_ids), failures)

    @api.model
    def _spp_update_status(self, where, failures):
        any_failed = SQL(
            "EXISTS (SELECT 1 FROM spp_payment p WHERE p.payroll_id = pr.id "
            "AND p.state IN %s)",
            FAILED_STATES,
        )
        has_failures = {
            "set": SQL("TRUE"),
            "keep": SQL("pr.has_failures"),
            "clear": SQL("pr.has_failures AND %s", any_failed),
            "full": any_failed,
        }[failures]
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                WITH derived AS (
                    SELECT pr.id,
                           CASE
                           WHEN pr.status = 'closed' THEN 'closed'
                           WHEN pr.approval_state <> 'approved'
                               THEN pr.approval_state
                           WHEN EXISTS (SELECT 1 FROM spp_payroll_run r
                                         WHERE r.payroll_id = pr.id
                                           AND r.state = 'running')
                               THEN 'executing'
                           -- nothing sent yet, by a run or any other path
                           WHEN NOT EXISTS (SELECT 1 FROM spp_payroll_run r
                                             WHERE r.payroll_id = pr.id)
                                AND NOT EXISTS (
                                    SELECT 1 FROM spp_payment p
                                     WHERE p.payroll_id = pr.id
                                       AND p.current_attempt_id IS NOT NULL)
                               THEN 'approved'
                           -- queued, not yet handed to the FSP (e.g. a run
                           -- released while its deliveries are pending)
                           WHEN %(queued)s THEN 'executing'
                           WHEN pr.reconciled_date IS NOT NULL
                                AND NOT %(awaiting)s
                               THEN 'reconciled'
                           ELSE 'executed'
                           END AS status,
                           CASE WHEN pr.approval_state = 'approved'
                                THEN %(has_failures)s ELSE FALSE
                           END AS has_failures
                      FROM spp_payroll pr
                     WHERE %(where)s
                )
                UPDATE spp_payroll pr
                   SET status = d.status, has_failures = d.has_failures
                  FROM derived d
                 WHERE pr.id = d.id
                   AND (pr.status, pr.has_failures)
                       IS DISTINCT FROM (d.status, d.has_failures)
                """,
                queued=_attempts_in(("queued",)),
                awaiting=_attempts_in(AWAITING_STATES),
                has_failures=has_failures,
                where=where,
            )
        )
        if self.env.cr.rowcount:
            self.invalidate_model(["status", "has_failures"])

    @api.model
    def _cron_spp_refresh_status(self):
        """Repair: payrolls left ``executing`` by a path that moved their
        payments without refreshing them (a worker that died, a run whose
        lock was released, SQL written by hand)."""
        self.sudo().search([("status", "=", "executing")])._spp_refresh_status()

    def _spp_expect_status(self, allowed, action):
        """Refuse ``action`` on payrolls whose status is not in ``allowed``."""
        labels = dict(self._fields["status"]._description_selection(self.env))
        for payroll in self:
            if payroll.status not in allowed:
                raise UserError(
                    self.env._(
                        "%(payroll)s cannot be %(action)s: it is %(status)s.",
                        payroll=payroll.name,
                        action=action,
                        status=labels[payroll.status],
                    )
                )

    def action_close(self):
        """Close an executed payroll: nothing more is sent from it. Refused
        while payments still wait for their FSP's answer; approved payments
        never sent (held, say) are cancelled."""
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users close payrolls."))
        self.check_access("read")
        self._spp_refresh_status()
        self._spp_expect_status(("executed", "reconciled"), self.env._("closed"))
        self._spp_check_nothing_awaiting()
        unsent = (
            self.env["spp.payment"]
            .sudo()
            .search([("payroll_id", "in", self.ids), ("state", "=", "approved")])
        )
        unsent._set_cancelled(reason=self.env._("Payroll closed before sending."))
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payroll SET status = 'closed', "
                "closed_date = now() at time zone 'utc' WHERE id = ANY(%s)",
                self.ids,
            )
        )
        self.invalidate_recordset(["status", "closed_date"])
        for payroll in self:
            payroll.message_post(body=self.env._("Closed."))
        return True

    def _spp_check_nothing_awaiting(self):
        """No payment of these payrolls still waits for its FSP's answer."""
        self.env.cr.execute(
            SQL(
                """
                SELECT p.payroll_id, COUNT(*) FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                 WHERE p.payroll_id = ANY(%s) AND a.state IN %s
                 GROUP BY p.payroll_id
                """,
                self.ids,
                AWAITING_STATES,
            )
        )
        waiting = dict(self.env.cr.fetchall())
        if waiting:
            raise UserError(
                self.env._(
                    "%(payrolls)s: %(count)s payments still wait for their FSP's "
                    "answer (sent, processing or unknown). Reconcile them or "
                    "query their status before closing.",
                    payrolls=", ".join(self.browse(list(waiting)).mapped("name")),
                    count=sum(waiting.values()),
                )
            )

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
        if self.lines_edited:
            self._spp_recheck_edited()

    # Payments of the payroll ---------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.pop("lines_edited", None)
            for name in LIFECYCLE_FIELDS:
                vals.pop(name, None)
        return super().create(vals_list)

    def write(self, vals):
        if "lines_edited" in vals:
            raise UserError(
                self.env._("Only an edit of the payments marks them as edited.")
            )
        refuse_fields(
            LIFECYCLE_FIELDS & vals.keys(),
            self.env._(
                "A payroll's status follows from its approval, runs and payments; "
                "%s cannot be written.",
            ),
        )
        return super().write(vals)

    def _spp_check_payments_open(self):
        """A payroll takes payments only while it is a draft."""
        refuse_records(
            self.filtered(lambda p: p.approval_state != "draft"),
            self.env._("Payroll %s is submitted or approved: no payment enters it."),
        )

    def _spp_create_payments(self, vals_list):
        """The way in for payments made one by one (the ad-hoc import): in this
        draft payroll and its cycle, under the payroll's guard. Bulk paths
        insert in SQL (see the generation)."""
        self.ensure_one()
        self.check_access("write")
        self._spp_check_payments_open()
        vals_list = [
            {**vals, "payroll_id": self.id, "cycle_id": self.cycle_id.id}
            for vals in vals_list
        ]
        with guarded_write(PAYROLL_GUARD):
            payments = self.env["spp.payment"].sudo().create(vals_list)
        self._spp_record_contributor("generated")
        self._spp_run_checks()
        return payments.sudo(False)

    def _spp_mark_lines_edited(self):
        """Payments of these payrolls were edited or removed after generation:
        their checks run again at submission, and the user who did it does not
        review them. Set in SQL: the payroll itself was not written. (A note
        on a payment of an approved payroll is recorded but re-checks nothing.)"""
        drafts = self.filtered(lambda p: p.approval_state == "draft")
        if not drafts:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payroll SET lines_edited = TRUE WHERE id = ANY(%s)",
                list(drafts.ids),
            )
        )
        drafts.invalidate_recordset(["lines_edited", "payment_change_ids"])
        drafts._spp_record_contributor("lines")

    def _spp_recheck_edited(self):
        """Run the generation's checks again over the edited payroll, and
        refuse an edited amount above what the cycle's cap or the member's
        balance allows (the generation cut or rejected such amounts; an edit
        is corrected by a person, not cut silently)."""
        self._spp_run_checks(again=True)
        over = self._spp_over_limit_ids()
        if over:
            raise UserError(
                self.env._(
                    "Edited amounts above the cycle's cap or the member's "
                    "balance in %(payroll)s: %(refs)s. Correct them before "
                    "submitting.",
                    payroll=self.name,
                    refs=self.env["spp.payment"]._spp_refs(
                        self.env["spp.payment"].browse(over)
                    ),
                )
            )
        self.env.cr.execute(
            SQL("UPDATE spp_payroll SET lines_edited = FALSE WHERE id = %s", self.id)
        )
        self.invalidate_recordset(["lines_edited"])
        self.message_post(
            body=self.env._(
                "Payments were edited after generation: checks run again, "
                "%(flagged)s payments flagged.",
                flagged=self.flagged_count,
            )
        )

    def _on_spp_submitted(self):
        result = super()._on_spp_submitted()
        self._spp_refresh_status(failures="keep")
        return result

    def _on_spp_rejected(self):
        result = super()._on_spp_rejected()
        self._spp_refresh_status(failures="keep")
        return result

    def _on_spp_approved(self):
        rejected = self._spp_payments_where(SQL("entitlement_rejected"))
        rejected._set_cancelled(reason=self.env._("Rejected by the cycle's rules."))
        self._spp_payments_where(SQL("NOT entitlement_rejected"))._set_approved(
            reason=self.env._("Payroll %s approved.", self.name),
            # Each payment's amount in its FSP's currency, frozen with the state.
            fx_values=self._spp_freeze_rates(),
        )
        # Nothing was sent yet: no failure to look for among its payments.
        self._spp_refresh_status(failures="keep")

    def _spp_payments_where(self, condition):
        """These payrolls' payments matching the SQL ``condition`` (on
        spp_payment), selected in SQL. Filtering payment_ids instead loads
        every stored field of every payment: a MemoryError at a million."""
        payments = self.env["spp.payment"]
        payments.flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT id FROM spp_payment WHERE payroll_id = ANY(%s) AND (%s)",
                list(self.ids),
                condition,
            )
        )
        return payments.browse([row[0] for row in self.env.cr.fetchall()])

    # Execution -----------------------------------------------------------

    def _spp_check_finance_user(self):
        if not self.env.user.has_group(FINANCE_OFFICER):
            raise AccessError(self.env._("Only finance users execute payrolls."))

    def _spp_amounts_to_pay(self, kind="execute"):
        """{fsp id: total} of what a run of ``kind`` would send, per FSP: for
        an execution the approved payments that no quarantine holds, for a
        retry the failed and rejected ones with retries left. ONE aggregate in
        SQL (a payroll may hold a million payments); the only place that says
        which amount is summed: the FSP amount, in the FSP's currency (frozen
        at approval; the amount itself before, when both currencies are one)."""
        self.ensure_one()
        self.env["spp.payment"].flush_model(
            ["payroll_id", "fsp_id", "state", "amount", "fsp_amount", "is_quarantined"]
        )
        if kind == "retry":
            self.env["spp.payment.attempt"].flush_model(["payment_id"])
            # Retries left: what _spp_exhausted tells, for these payments.
            sent = SQL(
                "p.state IN ('failed', 'rejected') AND (SELECT COUNT(*) "
                "FROM spp_payment_attempt a WHERE a.payment_id = p.id) <= "
                "COALESCE((SELECT f.max_retries FROM spp_fsp f "
                "WHERE f.id = p.fsp_id), 0)"
            )
        else:
            sent = SQL("p.state = 'approved' AND NOT COALESCE(p.is_quarantined, FALSE)")
        self.env.cr.execute(
            SQL(
                """
                SELECT p.fsp_id, SUM(COALESCE(p.fsp_amount, p.amount))
                  FROM spp_payment p
                 WHERE p.payroll_id = %s AND p.fsp_id IS NOT NULL AND %s
                 GROUP BY p.fsp_id
                """,
                self.id,
                sent,
            )
        )
        return dict(self.env.cr.fetchall())

    def action_check_balances(self, kind="execute", totals=None):
        """Total to pay per FSP by a run of ``kind`` (execute, retry) against
        the FSP account's balance, as the FSP reported it. A line is
        ``sufficient`` only with a known, fresh figure that covers the total;
        ``short`` when that figure does not; otherwise the balance is pending
        or unknown and only a Finance Manager's confirmation
        (``confirmation_id``) lets the run start. ``totals``: what
        _spp_amounts_to_pay gave already (one scan of the payments, not two)."""
        self.ensure_one()
        lines = []
        if totals is None:
            totals = self._spp_amounts_to_pay(kind)
        fsps = self.env["spp.fsp"].sudo().browse(sorted(totals))
        now = fields.Datetime.now()
        for fsp in fsps:
            currency = fsp.currency_id
            total = currency.round(totals[fsp.id])
            status = fsp._spp_balance_status(now)
            balance = status["amount"]
            known = status["state"] == "known"
            covered = known and currency.compare_amounts(balance, total) >= 0
            confirmation = (
                self.env["spp.payroll.funding.confirmation"]
                if known
                else self._spp_funding_confirmation(fsp, total)
            )
            lines.append(
                {
                    "fsp": fsp.name,
                    "fsp_id": fsp.id,
                    "to_pay": total,
                    "balance": balance,
                    "balance_state": status["state"],
                    "balance_date": status["date"] if known else False,
                    "balance_source": status["source"] if known else False,
                    "balance_requested": status["requested"],
                    "balance_reason": status["reason"],
                    "sufficient": covered,
                    "short": known and not covered,
                    "confirmation_id": confirmation.id or False,
                }
            )
        return lines

    def _spp_funding_confirmation(self, fsp, amount):
        """The Finance Manager's confirmation, not used by a run yet, that
        ``fsp`` holds ``amount`` for this payroll (an empty recordset if none:
        one for another amount does not count)."""
        confirmations = (
            self.env["spp.payroll.funding.confirmation"]
            .sudo()
            .search(
                [
                    ("payroll_id", "=", self.id),
                    ("fsp_id", "=", fsp.id),
                    ("run_id", "=", False),
                ]
            )
        )
        return confirmations.filtered(
            lambda c: not fsp.currency_id.compare_amounts(c.amount_to_pay, amount)
        )[:1]

    def action_confirm_funding(self, fsp_ids, note, kind="execute"):
        """A Finance Manager confirms that the accounts of ``fsp_ids``, whose
        balance is not known, hold what a run of ``kind`` (execute, retry) of
        this payroll pays through them."""
        self.ensure_one()
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager confirms a payroll's funding.")
            )
        if not (note or "").strip():
            raise UserError(self.env._("Say how the funding was confirmed."))
        self._spp_check_runnable(kind)
        created = self.env["spp.payroll.funding.confirmation"]
        for line in self.action_check_balances(kind):
            if line["fsp_id"] not in fsp_ids or line["confirmation_id"]:
                continue
            if line["balance_state"] == "known":
                continue  # a figure decides: sufficient, or short
            created |= created.create(
                {
                    "payroll_id": self.id,
                    "fsp_id": line["fsp_id"],
                    "amount_to_pay": line["to_pay"],
                    "note": note.strip(),
                    "balance_state": line["balance_state"],
                    "balance_reason": line["balance_reason"],
                }
            )
        for confirmation in created:
            self.message_post(
                body=self.env._(
                    "Funding of %(amount)s %(currency)s through %(fsp)s confirmed "
                    "by %(user)s without a known balance: %(note)s",
                    amount=confirmation.amount_to_pay,
                    currency=confirmation.currency_id.name,
                    fsp=confirmation.fsp_id.name,
                    user=self.env.user.name,
                    note=confirmation.note,
                )
            )
        return created

    def action_open_execute_wizard(self, kind="execute"):
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_check_runnable(kind)
        wizard = self.env["spp.payroll.execute.wizard"].create(
            {"payroll_id": self.id, "kind": kind}
        )
        return {
            "type": "ir.actions.act_window",
            "name": wizard._spp_title(),
            "res_model": wizard._name,
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
        }

    def action_open_retry_wizard(self):
        """The failed payments' retry, after the same balance check."""
        return self.action_open_execute_wizard("retry")

    def action_execute(self):
        """Send the approved payments, once every FSP's balance covers what
        is sent through it (_spp_check_funding)."""
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_check_executable()
        confirmations = self._spp_check_funding("execute")
        payments, held = self._spp_payable()
        run = self.env["spp.payroll.run"]._spp_start(
            self, payments, "execute", held=held
        )
        confirmations.sudo().write({"run_id": run.id})
        return run

    def _spp_check_funding(self, kind):
        """The balance rule of every run that sends money (execute, retry):
        refused when a known balance is short of what the run sends through
        its FSP, and, for a balance that is pending or unknown, until a
        Finance Manager confirmed the funding. Returns the confirmations the
        run uses (to record on it)."""
        lines = self.action_check_balances(kind)
        short = [line for line in lines if line["short"]]
        if short:
            raise UserError(
                self.env._(
                    "Insufficient FSP balance: %s. Nothing was sent.",
                    "; ".join(
                        self.env._(
                            "%(fsp)s has %(balance)s as of %(date)s, needs %(to_pay)s",
                            fsp=line["fsp"],
                            balance=line["balance"],
                            date=line["balance_date"],
                            to_pay=line["to_pay"],
                        )
                        for line in short
                    ),
                )
            )
        unconfirmed = [
            line
            for line in lines
            if not line["sufficient"] and not line["confirmation_id"]
        ]
        if unconfirmed:
            raise UserError(
                self.env._(
                    "FSP balance not known: %s. A Finance Manager must confirm "
                    "the funding before execution. Nothing was sent.",
                    "; ".join(
                        self.env._(
                            "%(fsp)s (%(reason)s) needs %(to_pay)s",
                            fsp=line["fsp"],
                            reason=line["balance_reason"],
                            to_pay=line["to_pay"],
                        )
                        for line in unconfirmed
                    ),
                )
            )
        return self.env["spp.payroll.funding.confirmation"].browse(
            [line["confirmation_id"] for line in lines if line["confirmation_id"]]
        )

    def _spp_check_runnable(self, kind):
        if kind == "retry":
            self._spp_check_retriable()
        else:
            self._spp_check_executable()

    def _spp_check_retriable(self):
        self._spp_expect_status(("executed", "reconciled"), self.env._("retried"))

    def _spp_check_executable(self):
        """Approved and not running; executed again (payments held, then
        cleared) until closed."""
        if self.status == "executing":
            raise UserError(self.env._("%s is already being executed.", self.name))
        if self.status not in EXECUTABLE_STATUSES:
            raise UserError(
                self.env._(
                    "Only an approved payroll is executed, until it is closed: "
                    "%(payroll)s is %(status)s.",
                    payroll=self.name,
                    status=dict(PAYROLL_STATUSES)[self.status],
                )
            )

    def _spp_payable(self):
        """(approved payments to send, approved payments held for a checker)."""
        held = SQL("COALESCE(is_quarantined, FALSE)")
        return (
            self._spp_payments_where(SQL("state = 'approved' AND NOT %s", held)),
            self._spp_payments_where(SQL("state = 'approved' AND %s", held)),
        )

    def action_retry_failed(self):
        """Re-send failed and rejected payments as new attempts, within the
        balance rule of an execution (_spp_check_funding)."""
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_check_retriable()
        payments = self._spp_payments_where(SQL("state IN ('failed', 'rejected')"))
        if not payments:
            raise UserError(self.env._("No failed or rejected payment to retry."))
        # Payments with no retries left are reported in the run, not sent; they
        # do not stop the others.
        exhausted = payments._spp_exhausted()
        if exhausted == payments:
            exhausted._spp_refuse_exhausted(exhausted)
        # What the retry sends needs the money, as an execution does.
        confirmations = self._spp_check_funding("retry")
        run = self.env["spp.payroll.run"]._spp_start(
            self, payments - exhausted, "retry", skipped=exhausted
        )
        confirmations.sudo().write({"run_id": run.id})
        return run

    def action_resolve_unknown(self):
        """Ask the FSPs about unknown payments (never re-sent blind), in queue
        jobs of one FSP chunk each: no FSP is called from this request, nor
        while another FSP's answers hold payments locked."""
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_expect_status(
            ("executing", "executed"), self.env._("queried for unknown payments")
        )
        unknown = self._spp_payments_where(SQL("state = 'unknown'"))
        for fsp, payments in unknown._spp_by_fsp().items():
            fsp._spp_enqueue_status_queries(payments)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "%s unknown payments: their FSPs are being asked.", len(unknown)
                ),
            },
        }

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
        if self.status not in ("executed", "reconciled", "closed"):
            raise UserError(
                self.env._("Build undelivered payrolls from executed payrolls only.")
            )
        unpaid = self._spp_payments_where(SQL("state IN ('failed', 'rejected')"))
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


def _attempts_in(attempt_states):
    """Whether payroll ``pr`` has payments whose current attempt is in one of
    ``attempt_states`` (all in flight: served by the attempts' partial index)."""
    return SQL(
        "EXISTS (SELECT 1 FROM spp_payment_attempt a "
        "JOIN spp_payment p ON p.current_attempt_id = a.id "
        "WHERE p.payroll_id = pr.id AND a.state IN %s)",
        tuple(attempt_states),
    )

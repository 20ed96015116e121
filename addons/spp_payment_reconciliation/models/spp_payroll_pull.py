# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reconciliation by API: what the FSPs report about a payroll's payments, pulled
into a batch that changes nothing until a checker accepts it."""

from collections import Counter

from spp_payment_core import money, states
from spp_payment_core.reconcile import Line

from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Payments whose FSP outcome may still change (paid: it may come back reversed).
PULLED_STATES = ("sent", "accepted", "processing", "unknown", "paid")
PULL_CHUNK = 1000
# Payment state an FSP reports -> reconciliation line outcome.
LINE_OUTCOME = {
    states.PAID: "paid",
    states.FAILED: "failed",
    states.REJECTED: "rejected",
    states.REVERSED: "reversed",
    states.ACCEPTED: "processing",
    states.PROCESSING: "processing",
}


class SppPayroll(models.Model):
    _inherit = "spp.payroll"

    count_reconciliations = fields.Integer(
        string="Reconciliation Count", compute="_compute_counts"
    )

    def _spp_count_columns(self):
        return {
            **super()._spp_count_columns(),
            "count_reconciliations": SQL(
                "(SELECT COUNT(*) FROM spp_reconciliation rc "
                "WHERE rc.payroll_id = pr.id)"
            ),
        }

    def action_view_reconciliations(self):
        return self._spp_open_list(
            "spp.reconciliation",
            self.env._("Reconciliations of %s", self.name),
            [("payroll_id", "=", self.id)],
        )

    def action_pull_reconciliation(self):
        """Ask every API FSP of the payroll about its open and paid payments and
        put what moves into one reconciliation batch, submitted for acceptance."""
        self.ensure_one()
        self._spp_check_finance_user()
        self._spp_expect_status(
            ("executing", "executed", "reconciled"), self.env._("reconciled")
        )
        self._spp_check_no_open_pull()
        by_fsp = self._spp_pullable_payments()
        if not by_fsp:
            raise UserError(
                self.env._(
                    "No payment of %s is at an FSP that answers status queries.",
                    self.name,
                )
            )
        lines, report = [], {}
        for fsp, payment_ids in by_fsp.items():
            fsp_lines, report[fsp.name] = self._spp_pull_from(fsp, payment_ids)
            lines += fsp_lines
        if not lines:
            raise UserError(
                self.env._(
                    "The FSPs report nothing new for %(payroll)s: %(report)s",
                    payroll=self.name,
                    report=_report_text(report),
                )
            )
        for row_no, line in enumerate(lines, 1):
            line.row = row_no
        batch = self.env["spp.reconciliation"]._spp_create_batch(
            self._spp_pull_vals(by_fsp), lines, pull=report
        )
        batch.action_submit()
        return batch._spp_action_open()

    def _spp_check_no_open_pull(self):
        """One undecided pull at a time: two would report the same outcomes."""
        open_pull = self.env["spp.reconciliation"].search(
            [
                ("payroll_id", "=", self.id),
                ("source", "=", "api"),
                ("approval_state", "in", ("draft", "submitted")),
                ("cleared", "=", False),
            ],
            limit=1,
        )
        if open_pull:
            raise UserError(
                self.env._(
                    "%s is still waiting for acceptance; accept or reject it "
                    "before pulling again.",
                    open_pull.name,
                )
            )

    def _spp_pullable_payments(self):
        """FSP -> ids of the payroll's payments it can report on."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT fsp_id, array_agg(id ORDER BY id) FROM spp_payment
                 WHERE payroll_id = %s AND state IN %s AND fsp_id IS NOT NULL
                   AND current_attempt_id IS NOT NULL
              GROUP BY fsp_id ORDER BY fsp_id
                """,
                self.id,
                PULLED_STATES,
            )
        )
        fsp_model = self.env["spp.fsp"].sudo()
        return {
            fsp: ids
            for fsp_id, ids in self.env.cr.fetchall()
            if (fsp := fsp_model.browse(fsp_id))._spp_supports_status_query()
        }

    def _spp_pull_from(self, fsp, payment_ids):
        """Lines for the payments ``fsp`` reports as moved, and a count of what
        it said. An FSP answering by callback is asked, and reports later."""
        payments = self.env["spp.payment"].sudo().browse(payment_ids)
        outcomes = []
        for start in range(0, len(payments), PULL_CHUNK):
            outcomes += fsp._spp_query_outcomes(payments[start : start + PULL_CHUNK])
        counts = Counter(asked=len(payments), reported=len(outcomes))
        if not fsp._spp_reports_synchronously():
            counts["answers_by_callback"] = len(payments)
        rows = fsp._spp_attempt_rows([o.key for o in outcomes], lock=False)
        # Evidence, recorded now: a success for an attempt or payment we did not
        # mean to pay is never left for the checker to find.
        fsp._spp_record_overpayments(outcomes, "api_pull")
        moves = fsp._spp_moves(outcomes, rows, counts)
        amounts = dict(
            self.env["spp.payment"]
            .sudo()
            .browse(list(moves))
            # FSPs report in their currency: compared with what they were asked.
            .mapped(lambda p: (p.id, p.fsp_amount if p.fsp_currency_id else p.amount))
        )
        lines = []
        for payment_id, outcome in moves.items():
            line = _line(payment_id, outcome, amounts[payment_id])
            if line:
                lines.append(line)
                counts[line.outcome] += 1
            else:
                counts["unknown_at_fsp"] += 1
        return lines, dict(counts)

    def _spp_pull_vals(self, by_fsp):
        fsps = list(by_fsp)
        return {
            "name": self.env._(
                "%(payroll)s API pull %(when)s",
                payroll=self.name,
                when=fields.Datetime.to_string(fields.Datetime.now()),
            ),
            "source": "api",
            "program_id": self.program_id.id,
            "payroll_id": self.id,
            "fsp_id": fsps[0].id if len(fsps) == 1 else False,
        }


def _line(payment_id, outcome, amount):
    """The reconciliation line of one reported outcome (None for an FSP that
    does not know either: that stays for the status query)."""
    kind = LINE_OUTCOME.get(outcome.state)
    if kind is None:
        return None
    paid = outcome.amount if outcome.state == states.PAID else None
    if paid is not None and money.compare(paid, amount) < 0:
        kind = "partial"
    return Line(
        row=0,
        payment_id=payment_id,
        outcome=kind,
        paid_amount=paid,
        receipt=outcome.receipt or "",
        reason=(outcome.reason or outcome.raw_status or "")[:250],
        reason_code=outcome.reason_code,
        note=outcome.raw_status or "",
    )


def _report_text(report):
    return "; ".join(
        f"{fsp}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        for fsp, counts in report.items()
    )

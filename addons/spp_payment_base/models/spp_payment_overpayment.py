# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Overpayment receivables: money an FSP reports as paid that we did not mean
to pay (a success for a payment we had failed, rejected or re-sent; an amount
above the one issued). Every path that reads FSP outcomes records them here, in
bulk SQL, and the Finance Managers get an activity for each until one of them
resolves it."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..tools import guarded_write, is_guarded_write, refuse_fields

FINANCE_MANAGER = "spp_payment_base.group_spp_finance_manager"
_GUARD = "overpayment"
KINDS = [
    ("double", "Suspected Double Payment"),
    ("excess", "Paid Above the Issued Amount"),
]
SOURCES = [
    ("callback", "Callback"),
    ("status_query", "Status Query"),
    ("file_row", "File Row"),
    ("api_pull", "API Pull"),
    ("payment_point", "Payment Point Sync"),
]
RESOLUTIONS = [
    ("recovered", "Recovered"),
    ("written_off", "Written Off"),
    ("not_duplicate", "Not a Duplicate"),
]
# A payment we believe did not pay (or that another attempt now pays): a
# success reported for it is money that may have gone out twice.
NOT_PAYING_STATES = ("failed", "rejected", "reversed", "cancelled")
# Columns of the rows _spp_record_sql inserts, in order.
ROW_COLUMNS = (
    "payment_id",
    "attempt_id",
    "kind",
    "source",
    "amount",
    "payment_state",
    "raw_status",
    "receipt",
    "evidence_model",
    "evidence_id",
    "note",
)


class SppPaymentOverpayment(models.Model):
    _name = "spp.payment.overpayment"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _description = "Overpayment Receivable"
    _order = "id desc"

    payment_id = fields.Many2one(
        "spp.payment", required=True, index=True, readonly=True, ondelete="restrict"
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Beneficiary",
        required=True,
        index=True,
        readonly=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, readonly=True
    )
    currency_id = fields.Many2one("res.currency", readonly=True)
    amount = fields.Monetary(
        currency_field="currency_id",
        readonly=True,
        help="What the beneficiary owes back if the money went out twice.",
    )
    kind = fields.Selection(KINDS, required=True, readonly=True)
    source = fields.Selection(SOURCES, required=True, readonly=True)
    found_date = fields.Datetime(readonly=True)
    # Evidence: what was reported, for which attempt, in which message.
    attempt_id = fields.Many2one("spp.payment.attempt", readonly=True)
    payment_state = fields.Char(
        string="Payment State When Reported",
        readonly=True,
    )
    raw_status = fields.Char(string="FSP Status", readonly=True)
    receipt = fields.Char(string="FSP Receipt", readonly=True)
    evidence_model = fields.Char(readonly=True)
    evidence_id = fields.Many2oneReference(model_field="evidence_model", readonly=True)
    note = fields.Char(readonly=True)
    state = fields.Selection(
        [("open", "Open"), *RESOLUTIONS],
        default="open",
        required=True,
        readonly=True,
        tracking=True,
    )
    resolved_by_id = fields.Many2one("res.users", readonly=True, tracking=True)
    resolved_date = fields.Datetime(readonly=True)
    resolution_note = fields.Text(readonly=True, tracking=True)

    # One receivable per payment, attempt and kind: the same success reported
    # again (a repeated callback, the pull then its acceptance) adds nothing.
    _one_per_attempt = models.UniqueIndex(
        "(payment_id, COALESCE(attempt_id, 0), kind)",
        "This overpayment is already recorded.",
    )

    @api.depends("payment_id", "kind")
    def _compute_display_name(self):
        labels = dict(KINDS)
        for record in self:
            record.display_name = (
                f"{labels.get(record.kind, '')}: {record.payment_id.reference or ''}"
            )

    # Write protection -------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not is_guarded_write(_GUARD):
            raise UserError(
                self.env._(
                    "Overpayments are recorded from FSP reports only, not by hand."
                )
            )
        return super().create(vals_list)

    def write(self, vals):
        if not is_guarded_write(_GUARD):
            edited = [n for n in vals if not n.startswith(("message_", "activity_"))]
            refuse_fields(
                edited,
                self.env._(
                    "An overpayment is evidence: %s cannot be edited; resolve it.",
                ),
            )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        raise UserError(self.env._("Overpayments are kept for audit."))

    # Recording, in bulk -------------------------------------------------------

    @api.model
    def _spp_record_sql(self, rows):
        """Record the overpayments of ``rows``, an SQL query of ROW_COLUMNS;
        flag their payments and schedule an activity per Finance Manager. One
        INSERT for the lot, whatever its size. Returns the new records."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment_overpayment
                    (payment_id, partner_id, company_id, currency_id, attempt_id,
                     kind, source, amount, payment_state, raw_status, receipt,
                     evidence_model, evidence_id, note, state, found_date,
                     create_uid, create_date, write_uid, write_date)
                SELECT p.id, p.partner_id, p.company_id, p.currency_id,
                       r.attempt_id::int, r.kind::varchar, r.source::varchar,
                       r.amount::numeric, r.payment_state::varchar,
                       r.raw_status::varchar, r.receipt::varchar,
                       r.evidence_model::varchar, r.evidence_id::int,
                       left(r.note::varchar, 250), 'open', now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM (%(rows)s) r (%(columns)s)
                  JOIN spp_payment p ON p.id = r.payment_id::int
                ON CONFLICT DO NOTHING
             RETURNING id
                """,
                uid=self.env.uid,
                rows=rows,
                columns=SQL(", ").join(SQL.identifier(c) for c in ROW_COLUMNS),
            )
        )
        new = self.browse([row[0] for row in self.env.cr.fetchall()])
        if new:
            new._spp_flag_payments()
            new._spp_schedule_activities()
        return new

    def _spp_flag_payments(self):
        """The payments show whether they have an open overpayment of each kind."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment p
                   SET is_suspected_double = EXISTS (
                           SELECT 1 FROM spp_payment_overpayment o
                            WHERE o.payment_id = p.id AND o.state = 'open'
                              AND o.kind = 'double'),
                       is_overpaid = EXISTS (
                           SELECT 1 FROM spp_payment_overpayment o
                            WHERE o.payment_id = p.id AND o.state = 'open'
                              AND o.kind = 'excess')
                 WHERE p.id IN (SELECT payment_id FROM spp_payment_overpayment
                                 WHERE id = ANY(%s))
                """,
                list(self.ids),
            )
        )
        self.env["spp.payment"].invalidate_model(["is_suspected_double", "is_overpaid"])

    def _spp_schedule_activities(self):
        """One to-do per overpayment for each Finance Manager of its company,
        inserted in one statement (mail.activity.create would notify per row)."""
        managers = self.env.ref(FINANCE_MANAGER).sudo().all_user_ids
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity
                    (res_model_id, res_model, res_id, res_name, activity_type_id,
                     summary, date_deadline, automated, user_id, user_tz, active,
                     create_uid, create_date, write_uid, write_date)
                SELECT %(model_id)s, %(model)s, o.id, p.reference, %(type)s,
                       %(summary)s, (now() at time zone 'utc')::date, TRUE, u.id,
                       rp.tz, TRUE, %(uid)s, now() at time zone 'utc',
                       %(uid)s, now() at time zone 'utc'
                  FROM spp_payment_overpayment o
                  JOIN spp_payment p ON p.id = o.payment_id
                  JOIN res_users u ON u.id = ANY(%(managers)s) AND u.active
                  JOIN res_partner rp ON rp.id = u.partner_id
                  JOIN res_company_users_rel cu
                    ON cu.user_id = u.id AND cu.cid = o.company_id
                 WHERE o.id = ANY(%(ids)s)
                """,
                model_id=self.env["ir.model"]._get_id(self._name),
                model=self._name,
                type=activity_type.id,
                summary=self.env._("Suspected overpayment: check and resolve"),
                uid=self.env.uid,
                managers=list(managers.ids),
                ids=list(self.ids),
            )
        )
        self.env["mail.activity"].invalidate_model()
        self.env.invalidate_all()

    # Resolution -------------------------------------------------------------

    def _spp_resolve(self, resolution, note):
        """A Finance Manager closes open overpayments: recovered, written off or
        not a duplicate, with a reason. Recorded, and their activities done."""
        if not self.env.user.has_group(FINANCE_MANAGER):
            raise AccessError(
                self.env._("Only a Finance Manager resolves an overpayment.")
            )
        if resolution not in dict(RESOLUTIONS):
            raise UserError(self.env._("Unknown resolution %s.", resolution))
        if not (note or "").strip():
            raise UserError(self.env._("Say why: a resolution needs a note."))
        closed = self.filtered(lambda o: o.state != "open")
        if closed:
            raise UserError(
                self.env._(
                    "Already resolved: %s.", ", ".join(closed.mapped("display_name"))
                )
            )
        with guarded_write(_GUARD):
            self.write(
                {
                    "state": resolution,
                    "resolved_by_id": self.env.user.id,
                    "resolved_date": fields.Datetime.now(),
                    "resolution_note": note.strip(),
                }
            )
        self.sudo().activity_ids.action_feedback(
            feedback=self.env._("Resolved: %s", dict(RESOLUTIONS)[resolution])
        )
        self._spp_flag_payments()
        return True

    def action_open_resolve_wizard(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": "spp.payment.overpayment.resolve",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

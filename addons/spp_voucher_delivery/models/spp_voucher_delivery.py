# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""One row per voucher per sending attempt. A voucher is sent once: the
database holds at most one delivery per voucher that has not failed, and a
failed one is sent again only by an explicit retry (a new attempt row).

Sending follows the payments' rule (record, commit, call, record): the rows
are queued in the user's transaction; a queue job then, per message, claims
the row in a transaction of its own (committed: a job run again after a crash
never sends a claimed message twice), calls the provider with no lock held,
and records the answer in another short transaction."""

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

DELIVERY_STATES = [
    ("queued", "Queued"),
    ("sending", "Sending"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("read", "Read"),
    ("failed", "Failed"),
]
# A status report moves a delivery forward only (reports arrive in any order).
RANK = {"queued": 0, "sending": 1, "sent": 2, "delivered": 3, "read": 4}
SENDER = "spp_payment_base.group_spp_finance_officer"


class SppVoucherDelivery(models.Model):
    _name = "spp.voucher.delivery"
    _description = "Voucher Delivery"
    _order = "id desc"

    voucher_id = fields.Many2one(
        "spp.voucher", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one(related="voucher_id.partner_id")
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    provider_id = fields.Many2one(
        "spp.notification.provider", required=True, readonly=True, ondelete="restrict"
    )
    channel = fields.Selection(
        [("whatsapp", "WhatsApp"), ("sms", "SMS")], required=True, readonly=True
    )
    recipient = fields.Char(string="To", readonly=True)
    attempt = fields.Integer(required=True, readonly=True, default=1)
    state = fields.Selection(
        DELIVERY_STATES, required=True, readonly=True, default="queued", index=True
    )
    message_id = fields.Char(string="Provider Message ID", readonly=True, index=True)
    error = fields.Char(readonly=True)
    retryable = fields.Boolean(
        readonly=True, help="The provider's refusal may pass if tried again later."
    )
    date_sent = fields.Datetime(readonly=True)
    date_status = fields.Datetime(readonly=True)

    _attempt_unique = models.Constraint(
        "UNIQUE(voucher_id, attempt)", "An attempt of a voucher is recorded once."
    )
    # The idempotency guarantee, held by the database for every path: one
    # delivery per voucher that has not failed.
    _one_live_delivery = models.UniqueIndex(
        "(voucher_id) WHERE state != 'failed'",
        "This voucher has already been sent; retry only a failed delivery.",
    )

    # Queueing ------------------------------------------------------------

    @api.model
    def _spp_queue(self, vouchers, provider, retry=False):
        """Queue one delivery per voucher that has none (``retry``: whose last
        delivery failed), set-based; vouchers without a phone get a failed row
        saying so. Returns the new deliveries."""
        if not self.env.user.has_group(SENDER) and not self.env.su:
            raise AccessError(self.env._("Only finance officers send vouchers."))
        provider.ensure_one()
        vouchers.check_access("read")
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_voucher_delivery
                       (voucher_id, company_id, provider_id, channel, recipient,
                        attempt, state, error, create_uid, create_date,
                        write_uid, write_date)
                SELECT v.id, v.company_id, %(provider)s, %(channel)s, r.phone_e164,
                       COALESCE(last.attempt, 0) + 1,
                       CASE WHEN r.phone_e164 IS NULL THEN 'failed' ELSE 'queued' END,
                       CASE WHEN r.phone_e164 IS NULL THEN %(no_phone)s END,
                       %(uid)s, now() at time zone 'utc', %(uid)s,
                       now() at time zone 'utc'
                  FROM spp_voucher v
                  JOIN res_partner r ON r.id = v.partner_id
             LEFT JOIN LATERAL (
                       SELECT d.attempt, d.state FROM spp_voucher_delivery d
                        WHERE d.voucher_id = v.id ORDER BY d.attempt DESC LIMIT 1
                       ) last ON TRUE
                 WHERE v.id = ANY(%(ids)s)
                   AND v.state IN ('active', 'partial')
                   AND v.company_id = %(company)s
                   AND (last.attempt IS NULL OR (%(retry)s AND last.state = 'failed'))
                 ORDER BY v.id
                ON CONFLICT DO NOTHING
             RETURNING id
                """,
                provider=provider.id,
                channel=provider.channel,
                no_phone=self.env._("The beneficiary has no mobile number."),
                uid=self.env.uid,
                ids=vouchers.ids,
                company=provider.company_id.id,
                retry=bool(retry),
            )
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _spp_enqueue_sending(self):
        """One queue job per chunk of queued deliveries, per provider."""
        queued = self.filtered(lambda d: d.state == "queued")
        for provider in queued.provider_id:
            ids = queued.filtered(lambda d, p=provider: d.provider_id == p).ids
            size = max(provider.chunk_size, 1)
            for start in range(0, len(ids), size):
                chunk = ids[start : start + size]
                self.with_delay(
                    description=self.env._(
                        "%(provider)s: send %(n)s vouchers",
                        provider=provider.name,
                        n=len(chunk),
                    ),
                    identity_key=f"spp.voucher.delivery:send:{chunk[0]}",
                )._job_send(chunk)

    def action_retry(self, provider=None):
        """Send these failed deliveries' vouchers again (a new attempt each),
        through ``provider`` or the one that failed."""
        failed = self.filtered(lambda d: d.state == "failed")
        if not failed:
            raise UserError(self.env._("Only failed deliveries can be retried."))
        if provider:
            new = self._spp_queue(failed.voucher_id, provider, retry=True)
        else:
            new = self.browse()
            for prov in failed.provider_id:
                vouchers = failed.filtered(lambda d, p=prov: d.provider_id == p)
                new |= self._spp_queue(vouchers.voucher_id, prov, retry=True)
        new._spp_enqueue_sending()
        return new

    # Sending (queue job) -------------------------------------------------

    def _job_send(self, delivery_ids):
        """Send each queued delivery: claim it (committed), call the provider
        with no lock held, record the answer (committed)."""
        sent = failed = 0
        rows = self.browse(delivery_ids).exists()
        for delivery in rows.filtered(lambda d: d.state == "queued"):
            text, parameters = delivery.voucher_id.sudo()._spp_message(delivery)
            if not delivery._spp_claim():
                continue  # sent by another worker, or by this job before a crash
            outcome = delivery.provider_id._spp_send_message(
                delivery.recipient, text, parameters
            )
            delivery._spp_record(outcome)
            sent, failed = (sent + 1, failed) if outcome.ok else (sent, failed + 1)
        return f"{sent} sent, {failed} failed"

    def _spp_claim(self):
        """queued -> sending, committed at once; False if it was not queued."""
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "UPDATE spp_voucher_delivery SET state = 'sending', "
                    "date_sent = now() at time zone 'utc' "
                    "WHERE id = %s AND state = 'queued' RETURNING id",
                    self.id,
                )
            )
            claimed = bool(cr.fetchone())
        self.invalidate_recordset()
        return claimed

    def _spp_record(self, outcome):
        with self.env.registry.cursor() as cr:
            cr.execute(
                SQL(
                    """UPDATE spp_voucher_delivery
                          SET state = %s, message_id = %s, error = %s,
                              retryable = %s,
                              date_status = now() at time zone 'utc'
                        WHERE id = %s AND state = 'sending'""",
                    "sent" if outcome.ok else "failed",
                    outcome.message_id or None,
                    outcome.error or None,
                    outcome.retryable,
                    self.id,
                )
            )
        self.invalidate_recordset()

    # Status reports ------------------------------------------------------

    @api.model
    def _spp_apply_statuses(self, provider, statuses):
        """Apply ``[(message id, status, error)]`` of ``provider``: forward
        moves only; a failure after "sent" is recorded. Returns the count."""
        applied = 0
        for message_id, status, error in statuses:
            if status == "failed":
                condition = SQL("state IN ('sending', 'sent')")
            else:
                lower = [s for s, rank in RANK.items() if rank < RANK[status]]
                condition = SQL("state = ANY(%s)", lower)
            self.env.cr.execute(
                SQL(
                    """UPDATE spp_voucher_delivery
                          SET state = %s, error = COALESCE(%s, error),
                              date_status = now() at time zone 'utc'
                        WHERE provider_id = %s AND message_id = %s AND %s""",
                    status,
                    error or None,
                    provider.id,
                    message_id,
                    condition,
                )
            )
            applied += self.env.cr.rowcount
        self.invalidate_model()
        return applied

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mifos Payment Hub EE provider: each chunk of a payroll run is posted as CSV
batches to ``/batchtransactions``. A batch's ``X-CorrelationID`` derives from its
attempts' idempotency keys, so a batch posted again (a job retried after a crash
or a timeout) is the batch PHEE already has, never a second payment. Outcomes are
polled from the operations API: PHEE's progress callback only says "poll now"."""

import dataclasses
import hashlib
import logging
from decimal import Decimal

from spp_payment_core import http, phee, states
from spp_payment_core.outcomes import Outcome

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.spp_payment_base.models.spp_payment_callback import (
    CallbackDeferred,
    CallbackRefused,
)

_logger = logging.getLogger(__name__)
ADMIN = "spp_payment_base.group_spp_admin"
DETAIL_PAGE = 1000


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("phee", "Mifos Payment Hub EE")],
        ondelete={"phee": "set default"},
    )
    phee_tenant = fields.Char(
        string="Tenant (Platform-TenantId)", default="ibank-usa", groups=ADMIN
    )
    phee_operations_url = fields.Char(
        string="Operations API URL",
        groups=ADMIN,
        help="Base URL of the operations app (tokens and batch status); "
        "the API URL when empty.",
    )
    phee_payment_mode = fields.Char(string="Payment Mode", default="gsma")
    phee_payer_identifier_type = fields.Char(
        string="Payer Identifier Type", default="msisdn"
    )
    phee_payer_identifier = fields.Char(string="Payer Identifier")
    phee_purpose = fields.Char(string="Purpose", default="social protection")

    # Sending -------------------------------------------------------------------

    def _spp_prepare_send(self, payments):
        """The attempts learn their batch's correlation id when queued: once
        that commits, a progress callback or a retried job finds the batch,
        even while it is being posted."""
        if self.provider != "phee":
            return super()._spp_prepare_send(payments)
        for batch_payments, batch in self._spp_phee_batches_of(payments):
            self._spp_mark_batch(
                batch_payments, correlation_id(row.request_id for row in batch)
            )

    def _spp_send_payments(self, payments):
        """Post every batch, then record every reply: no payment is locked
        while a batch is being posted, the next ones included."""
        if self.provider != "phee":
            return super()._spp_send_payments(payments)
        self._spp_check_usable()
        replies = [
            (batch_payments, self._spp_phee_post(batch_payments, batch))
            for batch_payments, batch in self._spp_phee_batches_of(payments)
        ]
        for batch_payments, reply in replies:
            self._spp_phee_record(batch_payments, *reply)
        # Progress callbacks that overtook the 202 wait for this moment.
        self.env["spp.payment.callback"]._spp_apply_pending(self)

    def _spp_phee_batches_of(self, payments):
        """(payments, rows) of each batch, cut the same way every time."""
        rows = self._spp_phee_rows(payments)
        payment_of = {row.request_id: payment_id for payment_id, row in rows}
        return [
            (payments.browse([payment_of[row.request_id] for row in batch]), batch)
            for batch in phee.split_batches([row for _pid, row in rows])
        ]

    def _spp_phee_rows(self, payments):
        """(payment id, phee.Row) per payment, in key order."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, a.idempotency_key, COALESCE(p.fsp_amount, p.amount)::text,
                       p.destination_type, p.destination, c.name, p.reference
                  FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
             LEFT JOIN res_currency c
                       ON c.id = COALESCE(p.fsp_currency_id, p.currency_id)
                 WHERE p.id = ANY(%s)
                 ORDER BY a.idempotency_key
                """,
                payments.ids,
            )
        )
        return [
            (
                payment_id,
                phee.Row(
                    request_id=key,
                    payee_identifier_type="accountNumber"
                    if kind == "bank"
                    else "msisdn",
                    payee_identifier=(destination or "").lstrip("+").replace(" ", ""),
                    amount=Decimal(amount),
                    currency=currency or self.currency_id.name,
                    payment_mode=self.phee_payment_mode or "gsma",
                    payer_identifier_type=self.phee_payer_identifier_type or "msisdn",
                    payer_identifier=self.phee_payer_identifier or "",
                    note=reference or "",
                ),
            )
            for payment_id, key, amount, kind, destination, currency, reference in (
                self.env.cr.fetchall()
            )
        ]

    def _spp_phee_post(self, payments, batch):
        """Post one batch; what happened, for _spp_phee_record: ("refused",
        error), ("no answer", error) or ("answered", (status, body))."""
        correlation = correlation_id(row.request_id for row in batch)
        # Marked when queued (see _spp_prepare_send): then a no-op that locks
        # nothing; here for payments queued before that step existed.
        self._spp_mark_batch(payments, correlation)
        try:
            headers = phee.batch_headers(
                correlation_id=correlation,
                tenant=self.sudo().phee_tenant or "",
                filename=f"{correlation}.csv",
                purpose=self.phee_purpose or "social protection",
                callback_url=self._spp_callback_url(),
                token=self._spp_phee_token(),
            )
            reply = self._spp_phee_call(
                "POST",
                phee.BATCH_PATH,
                headers=headers,
                files={
                    "data": (f"{correlation}.csv", phee.batch_csv(batch), "text/csv")
                },
            )
        except phee.PheeError as error:
            # Refused before it left (e.g. no tenant configured): nothing sent.
            return "refused", error
        except (http.NoAnswer, http.NotSent) as error:
            return "no answer", error
        return "answered", reply

    def _spp_phee_record(self, payments, what, detail):
        if what == "refused":
            payments._set_rejected(reason=f"PHEE batch not sent: {detail}"[:250])
            return
        payments._set_sent()
        if what == "no answer":
            payments._set_unknown(reason=f"no answer from PHEE: {detail}"[:250])
            return
        self._spp_phee_handle_reply(payments, *detail)

    def _spp_phee_handle_reply(self, payments, status, answer):
        if status >= 500 or status == 429:
            payments._set_unknown(reason=f"HTTP {status} from PHEE")
            return
        try:
            batch_id = phee.parse_batch_reply(status, answer)
        except phee.PheeError as error:
            payments._set_rejected(reason=f"PHEE refused the batch: {error}"[:250])
            return
        payments._set_accepted(reason=f"PHEE batch {batch_id}")

    # HTTP -----------------------------------------------------------------------

    def _spp_phee_call(self, method, path, operations=False, retried=False, **kw):
        admin = self.sudo()
        base = (operations and admin.phee_operations_url) or admin.api_url
        status, answer = self._spp_http(method, base.rstrip("/") + path, **kw)
        if status == 401 and not retried and admin.api_username:
            self._spp_forget_token()
            headers = dict(kw.pop("headers", None) or {})
            headers["Authorization"] = f"Bearer {self._spp_phee_token()}"
            return self._spp_phee_call(
                method, path, operations, retried=True, headers=headers, **kw
            )
        return status, answer

    def _spp_phee_token(self):
        """The operations-app token; None when the FSP has no user configured
        (an open sandbox)."""
        if not self.sudo().api_username:
            return None
        return self._spp_token(self._spp_phee_new_token)

    def _spp_phee_new_token(self):
        admin = self.sudo()
        path, headers, form = phee.token_request(
            admin.api_username, admin.api_secret or "", admin.phee_tenant or ""
        )
        base = admin.phee_operations_url or admin.api_url
        status, answer = http.call(
            "POST", base.rstrip("/") + path, data=form, headers=headers, timeout=30
        )
        try:
            return phee.parse_token(status, answer)
        except phee.PheeError as error:
            raise http.NotSent(f"token refused by PHEE: {error}") from error

    def _spp_phee_auth(self):
        token = self._spp_phee_token()
        headers = {"Platform-TenantId": self.sudo().phee_tenant or ""}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    # Polling and callbacks ------------------------------------------------------

    def _spp_query_outcomes(self, payments):
        """Poll each batch the payments went in: summary, then every detail page."""
        if self.provider != "phee":
            return super()._spp_query_outcomes(payments)
        outcomes = []
        for correlation, keyed in self._spp_phee_batches(payments).items():
            try:
                outcomes += self._spp_phee_poll(correlation, keyed)
            except (http.NoAnswer, http.NotSent, phee.PheeError) as error:
                _logger.info("PHEE poll of batch %s failed: %s", correlation, error)
        return outcomes

    def _spp_phee_batches(self, payments):
        """correlation id -> {attempt key: payment state} of the current attempts."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.fsp_batch_ref, a.idempotency_key, p.state
                  FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                 WHERE p.id = ANY(%s) AND a.fsp_batch_ref IS NOT NULL
                """,
                payments.ids,
            )
        )
        batches = {}
        for correlation, key, state in self.env.cr.fetchall():
            batches.setdefault(correlation, {})[key] = state
        return batches

    def _spp_phee_poll(self, correlation, keyed):
        status, body = self._spp_phee_call(
            "GET",
            phee.summary_path(request_id=correlation),
            operations=True,
            headers=self._spp_phee_auth(),
        )
        if status == 404:
            # Not found is missing evidence, not a failure (the batch may still
            # be on its way, or PHEE lost its index): the payments stay unknown
            # until PHEE reports them or a Finance Manager decides.
            return [
                Outcome(
                    key,
                    states.UNKNOWN,
                    "absent",
                    None,
                    "batch not known to PHEE",
                    fsp_ref=correlation,
                )
                for key in keyed
            ]
        if status != 200:
            raise phee.PheeError(f"HTTP {status} on the batch summary")
        summary = phee.parse_summary(body)
        reported = self._spp_phee_details(summary.batch_id, correlation, keyed)
        if summary.completed:
            reported += [
                Outcome(
                    key,
                    states.UNKNOWN,
                    "MISSING",
                    None,
                    "absent from the batch",
                    fsp_ref=correlation,
                )
                for key in phee.missing_after_completion(keyed, reported, summary)
            ]
        return reported

    def _spp_phee_details(self, batch_id, correlation, keyed):
        outcomes, page, pages = [], 0, 1
        while page < pages:
            status, body = self._spp_phee_call(
                "GET",
                phee.detail_path(batch_id, page=page, size=DETAIL_PAGE),
                operations=True,
                headers=self._spp_phee_auth(),
            )
            if status != 200:
                raise phee.PheeError(f"HTTP {status} on the batch detail")
            found, pages = phee.parse_detail(body)
            # The attempt keeps its batch's correlation id as its FSP batch ref:
            # the next poll finds the batch by it.
            outcomes += [
                dataclasses.replace(o, fsp_ref=correlation)
                for o in found
                if o.key in keyed
            ]
            page += 1
        return outcomes

    def _spp_authenticate_callback(self, raw, payload, headers):
        """PHEE lets no integrator add a header or a MAC to its progress
        callback (its optional X-SIGNATURE JWS is made with PHEE's tenant key,
        and is not checked here), and the callback carries no outcome: it only
        makes us poll the batch it names through the operations API, whose
        answers are authenticated by our token. So a callback is accepted when
        it names a batch we posted to this FSP (its X-CorrelationID, derived
        from the attempts' keys), held while that batch may not be committed
        yet, and further limited by the FSP's source-address allow-list."""
        if self.provider != "phee":
            return super()._spp_authenticate_callback(raw, payload, headers)
        correlation = payload.get("clientCorrelationId")
        if not (isinstance(correlation, str) and correlation):
            raise CallbackRefused("the callback names no clientCorrelationId")
        if not self._spp_phee_batch_posted(correlation):
            raise CallbackDeferred(f"no batch {correlation[:40]} posted here yet")

    def _spp_phee_batch_posted(self, correlation):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT 1 FROM spp_payment_attempt "
                "WHERE fsp_id = %s AND fsp_batch_ref = %s LIMIT 1",
                self.id,
                correlation,
            )
        )
        return bool(self.env.cr.fetchone())

    def _spp_callback_is_hint(self):
        return self.provider == "phee" or super()._spp_callback_is_hint()

    def _spp_parse_callback(self, payload, kind=None):
        """A progress callback carries no outcome, it names a batch: queue a
        poll of it (the callback is answered at once, the poll runs after)."""
        if self.provider != "phee":
            return super()._spp_parse_callback(payload, kind)
        try:
            _batch_id, correlation, percent = phee.parse_callback(payload)
        except phee.PheeError as error:
            raise ValueError(str(error)) from error
        if not correlation:
            raise ValueError("the callback names no clientCorrelationId")
        self.with_delay(
            description=f"Poll PHEE batch {correlation}",
            identity_key=f"spp.phee.poll:{self.id}:{correlation}:{percent}",
        )._job_phee_poll(correlation)
        return []

    def _job_phee_poll(self, correlation):
        """Queue job: apply what PHEE reports on the batch ``correlation``. Every
        attempt sent in it is read, also one since retried: a late success for
        it is a suspected double payment, not an answer to drop."""
        keyed = self._spp_phee_batch_keys(correlation)
        if not keyed:
            # Its sender has not committed the batch yet.
            raise RetryableJobError(f"batch {correlation} not known yet", seconds=60)
        try:
            outcomes = self._spp_phee_poll(correlation, keyed)
        except (http.NoAnswer, http.NotSent, phee.PheeError) as error:
            _logger.info("PHEE poll of batch %s failed: %s", correlation, error)
            outcomes = []
        counts = self._spp_apply_outcomes(outcomes)
        if counts.get("pending"):
            # Reported before its sender recorded the 202: ask again later.
            raise RetryableJobError(
                f"batch {correlation}: payments still being sent", seconds=30
            )
        return ", ".join(f"{n} {what}" for what, n in sorted(counts.items()))

    def _spp_phee_batch_keys(self, correlation):
        """{attempt key: payment state} of every attempt sent in the batch."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "SELECT a.idempotency_key, p.state FROM spp_payment_attempt a "
                "JOIN spp_payment p ON p.id = a.payment_id "
                "WHERE a.fsp_id = %s AND a.fsp_batch_ref = %s",
                self.id,
                correlation or "",
            )
        )
        return dict(self.env.cr.fetchall())


def correlation_id(keys):
    """The batch key: the same attempts give the same id (20 characters, the
    GovStack cap)."""
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()
    return f"spp{digest[:17]}"

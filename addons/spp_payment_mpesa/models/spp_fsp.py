# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""M-Pesa provider: Daraja B2C v3, one request per payment, paced by the FSP's
rate limit, with no payment locked while the requests are made."""

import logging

from spp_payment_core import callbacks, http, mpesa

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.spp_payment_base.models.spp_payment_callback import (
    CallbackDeferred,
    CallbackRefused,
)

_logger = logging.getLogger(__name__)
ADMIN = "spp_payment_base.group_spp_admin"
# The callback URL kinds of AccountBalance Results and queue timeouts.
BALANCE_KINDS = ("balance", "balance_timeout")


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("mpesa", "M-Pesa (Daraja B2C)")],
        ondelete={"mpesa": "set default"},
    )
    mpesa_shortcode = fields.Char(string="B2C Shortcode")
    mpesa_command = fields.Selection(
        [(c, c) for c in mpesa.COMMANDS], string="Command", default="BusinessPayment"
    )
    mpesa_initiator = fields.Char(string="Initiator Name", groups=ADMIN)
    mpesa_initiator_password = fields.Char(groups=ADMIN, copy=False)
    mpesa_balance_account = fields.Char(
        string="Balance Account",
        default=mpesa.BALANCE_ACCOUNT,
        help="Which account of the shortcode's AccountBalance answer B2C "
        "payments draw on (Daraja: the Utility Account).",
    )
    mpesa_certificate = fields.Text(
        string="M-Pesa Certificate (PEM)",
        groups=ADMIN,
        help="Sandbox and production certificates differ.",
    )

    # Sending ------------------------------------------------------------------

    def _spp_send_payments(self, payments):
        """Read the requests, send them requests_in_flight at a time on
        kept-alive connections (paced by the FSP's token bucket), then record
        every answer at once: the payments are locked only by that last step."""
        if self.provider != "mpesa":
            return super()._spp_send_payments(payments)
        self._spp_check_usable()
        config = self._spp_mpesa_config()
        results = {"accepted": [], "unknown": [], "rejected": []}
        sending, bodies = [], []
        for payment_id, key, amount, phone, reference in self._spp_mpesa_rows(payments):
            try:
                bodies.append(mpesa.b2c_request(config, key, amount, phone, reference))
            except mpesa.MpesaError as error:
                results["rejected"].append((payment_id, str(error)))
                continue
            sending.append(payment_id)
        answers = self._spp_mpesa_post_all(bodies)
        for payment_id, answer in zip(sending, answers, strict=True):
            verdict, detail = _verdict(answer)
            # A token refused twice: the request was not taken.
            results["rejected" if verdict == "token" else verdict].append(
                (payment_id, detail)
            )
        payments._set_sent()
        self._spp_mpesa_record(payments, results)
        # Results that overtook the acknowledgement wait for this moment.
        self.env["spp.payment.callback"]._spp_apply_pending(self)

    def _spp_mpesa_rows(self, payments):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT p.id, a.idempotency_key,
                       COALESCE(p.fsp_amount, p.amount)::text, p.destination,
                       p.reference
                  FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                 WHERE p.id = ANY(%s) ORDER BY p.id
                """,
                payments.ids,
            )
        )
        return self.env.cr.fetchall()

    def _spp_mpesa_record(self, payments, results):
        by_id = payments.browse
        for verdict, rows in results.items():
            if not rows:
                continue
            moving = by_id([pid for pid, _detail in rows])
            details = SQL(
                "SELECT id, NULL::numeric AS paid_amount, "
                "NULL::timestamp AS paid_date, NULL::varchar AS external_ref, "
                "reason AS status_reason "
                "FROM unnest(%s::int[], %s::varchar[]) AS v(id, reason)",
                [pid for pid, _detail in rows],
                [str(detail)[:250] for _pid, detail in rows],
            )
            if verdict == "accepted":
                moving._set_accepted(reason="Daraja accepted the request")
            elif verdict == "unknown":
                moving._set_unknown(reason="no usable answer", details=details)
            else:
                moving._set_rejected(reason="refused by Daraja", details=details)

    def _spp_mpesa_config(self, balance=False):
        admin = self.sudo()
        base = admin._spp_callback_url()
        if balance:
            base = f"{base}/balance"
        credential = mpesa.security_credential(
            admin.mpesa_initiator_password or "", admin.mpesa_certificate or ""
        )
        return mpesa.Config(
            shortcode=self.mpesa_shortcode or "",
            initiator=admin.mpesa_initiator or "",
            security_credential=credential,
            result_url=base if balance else f"{base}/result",
            timeout_url=f"{base}_timeout" if balance else f"{base}/timeout",
            command=self.mpesa_command or "BusinessPayment",
        )

    # HTTP -----------------------------------------------------------------------

    def _spp_mpesa_call(self, body, path=mpesa.B2C_PATH):
        """(status, answer) of one Daraja request; raises http.NotSent or
        http.NoAnswer."""
        answer = self._spp_mpesa_post_all([body], path)[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _spp_mpesa_post_all(self, bodies, path=mpesa.B2C_PATH):
        """POST each of ``bodies`` to ``path``, requests_in_flight at a time,
        each under its own idempotency key (its OriginatorConversationID or
        Occasion, from the attempt): per body, (status, answer) or the
        http.NotSent / http.NoAnswer it met. Requests refused for their token
        are sent again once with a new one. The ConversationID pairs of the
        accepted ones are recorded in one statement. The threads touch no
        database: this transaction must hold no payment lock meanwhile."""
        url = self.sudo().api_url.rstrip("/") + path
        client = self._spp_http_client()

        def sender(token):
            headers = {"Authorization": f"Bearer {token}"}

            def post(body):
                try:
                    return client("POST", url, json=body, headers=headers)
                except (http.NotSent, http.NoAnswer) as error:
                    return error

            return post

        answers = self._spp_mpesa_send_with_token(sender, bodies)
        refused = [n for n, a in enumerate(answers) if _verdict(a)[0] == "token"]
        if refused:
            self._spp_forget_token()
            again = self._spp_mpesa_send_with_token(
                sender, [bodies[n] for n in refused]
            )
            for n, answer in zip(refused, again, strict=True):
                answers[n] = answer
        # What will authenticate the Result callbacks of these requests.
        self.env["spp.mpesa.conversation"].sudo()._spp_record_all(
            self, list(filter(None, map(_conversation, answers)))
        )
        return answers

    def _spp_mpesa_send_with_token(self, sender, bodies):
        """``sender(token)`` over ``bodies`` with the FSP's token; each body
        meets the error when no token can be had (then nothing was sent)."""
        try:
            token = self._spp_token(self._spp_mpesa_token)
        except (http.NotSent, http.NoAnswer) as error:
            return [error] * len(bodies)
        return self._spp_concurrently(sender(token), bodies)

    def _spp_mpesa_token(self):
        """A new Daraja OAuth token: (token, lifetime)."""
        admin = self.sudo()
        status, answer = http.call(
            "GET",
            admin.api_url.rstrip("/") + mpesa.TOKEN_PATH,
            auth=(admin.api_key or "", admin.api_secret or ""),
            timeout=30,
        )
        if status != 200 or not (answer or {}).get("access_token"):
            raise http.NotSent(f"token refused by Daraja (HTTP {status})")
        return answer["access_token"], int(str(answer.get("expires_in") or "300"))

    # Callbacks and queries -----------------------------------------------------

    def _spp_authenticate_callback(self, raw, payload, headers):
        """Daraja adds no header and signs nothing: a Result (or queue timeout)
        is authentic when it names a ConversationID pair Daraja gave us in its
        synchronous answer (see spp.mpesa.conversation). One whose
        OriginatorConversationID we have no pair for yet is held: Daraja may
        call back before the sender committed its answer."""
        if self.provider != "mpesa":
            return super()._spp_authenticate_callback(raw, payload, headers)
        result = payload.get("Result")
        if not isinstance(result, dict):
            raise CallbackRefused("not a Daraja Result notification")
        originator = result.get("OriginatorConversationID")
        conversation = result.get("ConversationID")
        if not (isinstance(originator, str) and originator):
            raise CallbackRefused("a Result without OriginatorConversationID")
        recorded = (
            self.env["spp.mpesa.conversation"]
            .sudo()
            ._spp_conversation_of(self, originator)
        )
        if recorded is None:
            raise CallbackDeferred("no ConversationID recorded for it yet")
        if not callbacks.same_bytes(recorded, conversation):
            raise CallbackRefused("ConversationID does not match Daraja's answer", 401)

    def _spp_callback_deferrable(self, kind=None):
        # B2C and status Results (and their timeouts) come one per payment:
        # answered once recorded, applied in batches. Balance Results are few.
        if self.provider != "mpesa":
            return super()._spp_callback_deferrable(kind)
        return kind not in BALANCE_KINDS

    def _spp_callback_validate(self, payload, kind=None):
        if self.provider != "mpesa":
            return super()._spp_callback_validate(payload, kind)
        try:
            mpesa.parse_result(payload, "timeout" if kind == "timeout" else "result")
        except mpesa.MpesaError as error:
            raise CallbackRefused(str(error)) from error

    def _spp_callback_message_key(self, raw, payload, kind=None):
        """Daraja names each answer by its conversation: a Result delivered
        again is the same (kind, conversation, ResultCode), however its JSON
        is spelled; another ResultCode for the conversation is another
        message (a success after a failure is evidence)."""
        if self.provider != "mpesa":
            return super()._spp_callback_message_key(raw, payload, kind)
        result = payload["Result"]
        return ":".join(
            str(part)[:80]
            for part in (
                kind or "",
                result.get("OriginatorConversationID"),
                result.get("ConversationID"),
                result.get("ResultCode"),
            )
        )

    def _spp_callback_answer(self, ok):
        if self.provider != "mpesa":
            return super()._spp_callback_answer(ok)
        return {
            "ResultCode": 0 if ok else 1,
            "ResultDesc": "Accepted" if ok else "Refused",
        }

    def _spp_parse_callback(self, payload, kind=None):
        if self.provider != "mpesa":
            return super()._spp_parse_callback(payload, kind)
        if kind in BALANCE_KINDS:
            self._spp_mpesa_apply_balance(payload, kind)
            return []
        return [
            mpesa.parse_result(payload, "timeout" if kind == "timeout" else "result")
        ]

    # Balance ----------------------------------------------------------------

    def _spp_request_balance(self):
        """Daraja's AccountBalance query: acknowledged at once, answered by a
        Result callback at .../callback/balance (or a queue timeout at
        .../callback/balance_timeout), authenticated like the B2C Results by
        the ConversationID of the acknowledgement. Called with no payment
        locked (the execute wizard)."""
        if self.provider != "mpesa":
            return super()._spp_request_balance()
        self.ensure_one()
        self._spp_check_usable()
        config = self._spp_mpesa_config(balance=True)
        try:
            status, answer = self._spp_mpesa_call(
                mpesa.balance_request(config), path=mpesa.BALANCE_PATH
            )
        except (http.NotSent, http.NoAnswer) as error:
            _logger.info("M-Pesa balance request of FSP %s failed: %s", self.id, error)
            self._spp_forget_balance(self.env._("not delivered: %s", error))
            return False
        verdict, detail = mpesa.parse_response(status, answer)
        if verdict != "accepted":
            self._spp_forget_balance(self.env._("refused by Daraja: %s", detail))
            return False
        self._spp_mark_balance_pending()
        return True

    def _spp_mpesa_apply_balance(self, payload, kind):
        """Record the figure of an authenticated AccountBalance Result; a
        failed query or a queue timeout leaves the balance unknown, with the
        reason in the chatter. MpesaError (the callback is refused, 400) for a
        Result that cannot be read."""
        account = self.mpesa_balance_account or mpesa.BALANCE_ACCOUNT
        balance = mpesa.parse_balance_result(
            payload, account, "timeout" if kind == "balance_timeout" else "result"
        )
        if balance.amount is None:
            if self.balance_state == "pending":
                self._spp_forget_balance(balance.reason)
            return
        if balance.currency and balance.currency != self.currency_id.name:
            raise mpesa.MpesaError(
                f"{account} is in {balance.currency}, the FSP in "
                f"{self.currency_id.name}"
            )
        self._spp_record_balance(
            balance.amount,
            balance.completed or fields.Datetime.now(),
            self.env._("M-Pesa AccountBalance (%s)", account),
        )

    def _spp_fetch_status(self, payments):
        """Daraja answers status queries by callback: ask, and let the results
        come in through the callback URL."""
        if self.provider != "mpesa":
            return super()._spp_fetch_status(payments)
        config = self._spp_mpesa_config()
        # Keys read first: the requests then read nothing.
        keys = payments.current_attempt_id.mapped("idempotency_key")
        answers = self._spp_mpesa_post_all(
            [mpesa.status_request(config, key) for key in keys], mpesa.STATUS_PATH
        )
        asked = 0
        for key, answer in zip(keys, answers, strict=True):
            if isinstance(answer, Exception):
                _logger.info("M-Pesa status query for %s failed: %s", key, answer)
                continue
            asked += mpesa.parse_response(*answer)[0] == "accepted"
        return asked

    def _spp_reports_synchronously(self):
        return self.provider != "mpesa" and super()._spp_reports_synchronously()

    def _spp_query_outcomes(self, payments):
        if self.provider != "mpesa":
            return super()._spp_query_outcomes(payments)
        # Asynchronous: the answers arrive as callbacks, not here.
        self._spp_fetch_status(payments)
        return []


def _verdict(answer):
    """("accepted" | "unknown" | "rejected" | "token", detail) of one
    request's (status, answer), or of the http.NotSent / http.NoAnswer it met
    ("token": Daraja refused the access token)."""
    if isinstance(answer, http.NotSent):
        return "unknown", f"not delivered: {answer}"
    if isinstance(answer, http.NoAnswer):
        return "unknown", f"no answer: {answer}"
    verdict, detail = mpesa.parse_response(*answer)
    if verdict in ("accepted", "duplicate"):
        # A duplicate key means M-Pesa already has this very attempt.
        return "accepted", detail
    if verdict in ("throttled", "unknown"):
        # Not a refusal (see mpesa.SYNC_ERRORS): a status query decides.
        return "unknown", detail
    return ("token" if verdict == "token" else "rejected"), detail


def _conversation(answer):
    """The (OriginatorConversationID, ConversationID) pair an accepted
    request was answered with, or None."""
    if isinstance(answer, Exception) or mpesa.parse_response(*answer)[0] != "accepted":
        return None
    body = answer[1]
    originator = body.get("OriginatorConversationID")
    conversation = body.get("ConversationID")
    if isinstance(originator, str) and isinstance(conversation, str):
        if originator and conversation:
            return originator, conversation
    return None

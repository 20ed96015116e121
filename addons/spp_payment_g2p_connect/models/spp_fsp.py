# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""G2P Connect provider: one /disburse message per chunk, the attempt's
idempotency key as ``reference_id``, results by /on-disburse callback or by
/disburse/sync/txn/status query."""

import base64
import hashlib
import logging
from decimal import Decimal

from spp_payment_core import callbacks, g2p_connect, http, states
from spp_payment_core.outcomes import Outcome

from odoo import fields, models
from odoo.tools import SQL

from odoo.addons.spp_payment_base.models.spp_payment_callback import CallbackRefused

_logger = logging.getLogger(__name__)
ADMIN = "spp_payment_base.group_spp_admin"
# A re-sent reference the receiver already has: it holds the first result.
DUPLICATE_REFERENCE = "rjct.reference_id.duplicate"
DUPLICATE_MESSAGE = "rjct.message_id.duplicate"


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    provider = fields.Selection(
        selection_add=[("g2p_connect", "G2P Connect")],
        ondelete={"g2p_connect": "set default"},
    )
    g2p_sender_id = fields.Char(string="Sender ID", default="spp-payments")
    g2p_receiver_id = fields.Char(string="Receiver ID")
    g2p_payer_fa = fields.Char(
        string="Payer Financial Address", help="e.g. account:123456@central-bank"
    )
    g2p_payer_name = fields.Char(string="Payer Name")
    g2p_mobile_provider = fields.Char(
        string="Mobile Provider",
        default="mobile-pymt",
        help="Provider part of mobile payee addresses: mobile:<msisdn>@<provider>.",
    )
    g2p_bank_provider = fields.Char(
        string="Bank Provider",
        default="bank",
        help="Provider part of bank payee addresses: account:<number>@<provider>.",
    )
    g2p_signing = fields.Selection(
        [
            ("none", "None"),
            ("ed25519", "Ed25519 signature"),
            ("jws", "JWS (RS256, detached payload)"),
        ],
        string="Message Signing",
        default="none",
    )
    g2p_signing_key = fields.Text(
        string="Signing Key",
        groups=ADMIN,
        copy=False,
        help="Ed25519: the base64 seed. JWS: the RSA private key (PEM).",
    )
    g2p_fsp_public_key = fields.Text(
        string="FSP Public Key",
        groups=ADMIN,
        help="When set, callbacks must carry a valid signature by this key "
        "(Ed25519: base64; JWS: PEM), in the signing scheme chosen above.",
    )

    # Sending ------------------------------------------------------------------

    def _spp_send_payments(self, payments):
        if self.provider != "g2p_connect":
            return super()._spp_send_payments(payments)
        self._spp_check_usable()
        body = self._spp_g2p_disburse_body(payments)
        errors = g2p_connect.validate("/disburse", body)
        if errors:
            # Nothing left: the message would be refused as it is.
            payments._set_rejected(reason=f"invalid G2P Connect message: {errors[0]}")
            return
        try:
            status, answer = self._spp_g2p_call("/disburse", body)
        except (http.NoAnswer, http.NotSent) as error:
            payments._set_sent()
            payments._set_unknown(reason=f"no answer from the FSP: {error}"[:250])
        else:
            self._spp_g2p_handle_ack(payments, status, answer)
        # Callbacks that overtook the acknowledgement wait for this moment.
        self.env["spp.payment.callback"]._spp_apply_pending(self)

    def _spp_g2p_rows(self, payments):
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT a.idempotency_key, COALESCE(p.fsp_amount, p.amount)::text,
                       p.destination_type,
                       p.destination, r.name, c.name, p.reference
                  FROM spp_payment p
                  JOIN spp_payment_attempt a ON a.id = p.current_attempt_id
                  JOIN res_partner r ON r.id = p.partner_id
             LEFT JOIN res_currency c
                       ON c.id = COALESCE(p.fsp_currency_id, p.currency_id)
                 WHERE p.id = ANY(%s)
                 ORDER BY a.idempotency_key
                """,
                payments.ids,
            )
        )
        return self.env.cr.fetchall()

    def _spp_g2p_disburse_body(self, payments):
        rows = self._spp_g2p_rows(payments)
        items = [
            g2p_connect.Item(
                reference_id=key,
                amount=Decimal(amount),
                payee_fa=self._spp_g2p_payee_fa(kind, destination),
                payee_name=name or "",
                currency=currency or self.currency_id.name,
                note=reference,
            )
            for key, amount, kind, destination, name, currency, reference in rows
        ]
        keys = "".join(item.reference_id for item in items)
        # Same payments, same attempts: same message id, so a re-sent message is
        # recognised by the receiver.
        digest = hashlib.sha256(keys.encode()).hexdigest()
        head = g2p_connect.header(
            "disburse",
            g2p_connect.message_id(digest),
            self.g2p_sender_id or "spp-payments",
            len(items),
            sender_uri=self._spp_callback_url(),
            receiver=self.g2p_receiver_id or None,
        )
        message = g2p_connect.disburse_request(
            f"SPP-{digest[:32]}",
            items,
            payer_fa=self.g2p_payer_fa or f"account:{self.id}@{self.g2p_bank_provider}",
            payer_name=self.g2p_payer_name or self.company_id.name,
            purpose=payments.program_id[:1].name or "social protection",
        )
        return g2p_connect.envelope(head, message, self._spp_g2p_signer())

    def _spp_g2p_payee_fa(self, kind, destination):
        value = (destination or "").replace("+", "").replace(" ", "")
        if kind == "bank":
            return g2p_connect.financial_address(
                "account", value, self.g2p_bank_provider
            )
        return g2p_connect.financial_address("mobile", value, self.g2p_mobile_provider)

    def _spp_g2p_signer(self):
        key = self.sudo().g2p_signing_key
        key_id = f"{self.g2p_sender_id}|{self.id}"
        if not key or self.g2p_signing == "none":
            return None
        if self.g2p_signing == "jws":
            return g2p_connect.jws_signer(key, key_id)
        return g2p_connect.ed25519_signer(base64.b64decode(key), key_id)

    def _spp_g2p_handle_ack(self, payments, status, answer):
        payments._set_sent()
        if status != 200 or not isinstance(answer, dict):
            reason = f"HTTP {status} from the FSP"
            if status >= 500:
                payments._set_unknown(reason=reason)
            else:
                payments._set_rejected(reason=reason)
            return
        try:
            ack, correlation, code = g2p_connect.parse_ack(answer)
        except g2p_connect.G2pConnectError as error:
            payments._set_unknown(reason=str(error)[:250])
            return
        detail = (answer["message"].get("error") or {}).get("message") or ""
        if ack in ("ACK", "NACK") or DUPLICATE_MESSAGE in detail:
            # A duplicate message id means the receiver already has this message.
            payments._set_accepted(reason=f"G2P Connect {ack} {correlation or ''}")
            self._spp_mark_batch(payments, correlation)
        elif code in g2p_connect.TRANSIENT_ERRORS:
            payments._set_unknown(reason=f"{code}: {detail}"[:250])
        else:
            payments._set_rejected(reason=f"{code}: {detail}"[:250])

    # HTTP -----------------------------------------------------------------------

    def _spp_g2p_call(self, path, body, retried=False):
        status, answer = self._spp_http(
            "POST",
            self.sudo().api_url.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {self._spp_token(self._spp_g2p_token)}"},
        )
        if status == 401 and not retried:
            self._spp_forget_token()
            return self._spp_g2p_call(path, body, retried=True)
        return status, answer

    def _spp_g2p_token(self):
        """A new OAuth2 client-credentials token: (token, lifetime)."""
        admin = self.sudo()
        status, answer = http.call(
            "POST",
            admin.api_url.rstrip("/") + "/oauth2/client/token",
            data={
                "grant_type": "client_credentials",
                "client_id": admin.api_username or "",
                "client_secret": admin.api_secret or "",
            },
            timeout=30,
        )
        if status != 200 or not (answer or {}).get("access_token"):
            raise http.NotSent(f"token refused by the FSP (HTTP {status})")
        return answer["access_token"], int(str(answer.get("expires_in") or "300"))

    # Callbacks and queries -----------------------------------------------------------

    def _spp_authenticate_callback(self, raw, payload, headers):
        """G2P Connect's own message signature when the FSP's public key is
        configured; our HMAC header (for receivers onboarded with a shared
        callback secret) otherwise, and whenever one is sent."""
        if self.provider != "g2p_connect":
            return super()._spp_authenticate_callback(raw, payload, headers)
        public_key = self.sudo().g2p_fsp_public_key
        if not public_key or callbacks.SIGNATURE_HEADER.lower() in (headers or {}):
            self._spp_check_callback_signature(raw, headers)
        if public_key:
            self._spp_g2p_check_message_signature(payload, public_key)

    def _spp_g2p_check_message_signature(self, payload, public_key):
        content = g2p_connect.canonical(payload.get("header")) + g2p_connect.canonical(
            payload.get("message")
        )
        signature = payload.get("signature")
        valid = False
        if isinstance(signature, str) and signature:
            try:
                if self.g2p_signing == "jws":
                    valid = g2p_connect.verify_jws(signature, content, public_key)
                else:
                    valid = g2p_connect.verify_ed25519(
                        signature, content, base64.b64decode(public_key)
                    )
            except (ValueError, TypeError) as error:
                # A signature that cannot even be read is no signature.
                _logger.info("Unreadable G2P Connect signature: %s", error)
        if not valid:
            raise CallbackRefused("missing or invalid signature", 401)

    def _spp_callback_answer(self, ok):
        if self.provider != "g2p_connect":
            return super()._spp_callback_answer(ok)
        return {
            "message": {
                "ack_status": "ACK" if ok else "ERR",
                "timestamp": g2p_connect.now_iso(),
                "correlation_id": "",
            }
        }

    def _spp_parse_callback(self, payload, kind=None):
        if self.provider != "g2p_connect":
            return super()._spp_parse_callback(payload, kind)
        head, items = g2p_connect.parse_callback(payload)
        return [_outcome(item, head.get("message_id")) for item in items]

    def _spp_query_outcomes(self, payments):
        if self.provider != "g2p_connect":
            return super()._spp_query_outcomes(payments)
        keys = {
            payment.current_attempt_id.idempotency_key: payment
            for payment in payments
            if payment.current_attempt_id
        }
        if not keys:
            return []
        body = g2p_connect.envelope(
            g2p_connect.header(
                "txn-status",
                g2p_connect.message_id(
                    hashlib.sha256("".join(keys).encode()).hexdigest()
                ),
                self.g2p_sender_id or "spp-payments",
                len(keys),
            ),
            g2p_connect.txn_status_request(f"SPP-Q-{self.id}", list(keys)),
        )
        try:
            status, answer = self._spp_g2p_call("/disburse/sync/txn/status", body)
            items = g2p_connect.parse_txn_status(answer) if status == 200 else None
        except (http.NoAnswer, http.NotSent, g2p_connect.G2pConnectError) as error:
            _logger.info(
                "G2P Connect status query of FSP %s failed: %s", self.id, error
            )
            return []
        if items is None:
            return []
        outcomes = [_outcome(item, None) for item in items]
        reported = {o.key for o in outcomes}
        # A reference absent from the answer is missing evidence, not a failure:
        # the payment stays unknown (the raw status says why) until an answer
        # proves it did not go through or a Finance Manager decides.
        outcomes += [
            Outcome(key, states.UNKNOWN, "absent", None, "not in the FSP's answer")
            for key in keys
            if key not in reported
        ]
        return outcomes


def _outcome(item, message_id):
    state = item.outcome
    if item.reason_code == DUPLICATE_REFERENCE:
        # We sent this reference again (a retried job): the receiver keeps the
        # first result, which the status query reads.
        state = states.UNKNOWN
    return Outcome(
        key=item.reference_id,
        state=state,
        raw_status=item.status,
        reason_code=item.reason_code,
        reason=item.reason_message,
        fsp_ref=message_id,
    )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What every API connector shares: applying FSP outcomes to payments, callback
URLs, and the scheduled status query. Connectors only translate their protocol
into :class:`spp_payment_core.outcomes.Outcome` lists."""

import dataclasses
from collections import Counter
from datetime import timedelta

from spp_payment_core import http, states

from odoo import api, fields, models
from odoo.tools import SQL

from .spp_payment import RECEIPT_LOCKED_STATES
from .spp_payment_overpayment import NOT_PAYING_STATES

# Providers that answer no status query.
OFFLINE_PROVIDERS = ("manual", "file")
QUERY_BATCH = 1000


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    callback_base_url = fields.Char(
        groups="spp_payment_base.group_spp_admin",
        help="Public base URL the FSP calls back (default: web.base.url).",
    )
    api_token = fields.Char(
        groups="spp_payment_base.group_spp_admin", copy=False, readonly=True
    )
    api_token_expiry = fields.Datetime(
        string="Token Valid Until",
        groups="spp_payment_base.group_spp_admin",
        copy=False,
        readonly=True,
    )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_paid_through(self):
        # spp.payment.fsp_id has no foreign key (see DerivedMany2one).
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "fsp_id")

    # Hooks for connectors ------------------------------------------------------

    def _spp_parse_callback(self, payload, kind=None):
        """Outcomes reported by a callback ``payload`` received at the callback
        URL ``kind`` (e.g. result, timeout); raise ValueError if it is bad."""
        raise ValueError(f"provider {self.provider} sends no callbacks")

    def _spp_verify_callback(self, raw, payload, headers):
        """Raise CallbackRefused unless the callback is authentic (the secret in
        its URL is checked before)."""

    def _spp_callback_answer(self, ok):
        return {"status": "ok" if ok else "refused"}

    def _spp_callback_is_hint(self):
        """True when this FSP's callbacks carry no outcome, only a reason to
        ask (PHEE's batch progress): the same one again still asks again."""
        return False

    def _spp_query_outcomes(self, payments):
        """Outcomes of ``payments`` as the FSP reports them now (no change made)."""
        raise NotImplementedError(self.provider)

    def _spp_supports_status_query(self):
        return self.provider not in OFFLINE_PROVIDERS

    def _spp_reports_synchronously(self):
        """True when _spp_query_outcomes answers at once; False when the FSP
        answers status queries by callback (the query is sent, the outcomes come
        later through the callback inbox)."""
        return self._spp_supports_status_query()

    def _spp_fetch_status(self, payments):
        if not self._spp_supports_status_query():
            return super()._spp_fetch_status(payments)
        counts = self._spp_apply_outcomes(self._spp_query_outcomes(payments))
        return counts.get("moved", 0)

    # HTTP and tokens, the same for every API connector -------------------------

    def _spp_http(self, method, url, **kwargs):
        """One FSP request with this FSP's retry policy (5xx and 429 retried
        with the same bytes, never a timeout)."""
        return http.call(
            method,
            url,
            timeout=30,
            attempts=max(self.max_retries, 1),
            backoff=max(self.retry_backoff_seconds, 0) / 10 or 0.1,
            **kwargs,
        )

    def _spp_token(self, fetch):
        """The FSP's access token, cached until a minute before it expires.
        ``fetch()`` asks the FSP for a new one: ``(token, lifetime seconds)``."""
        admin = self.sudo()
        now = fields.Datetime.now()
        if admin.api_token and admin.api_token_expiry and admin.api_token_expiry > now:
            return admin.api_token
        token, lifetime = fetch()
        admin.write(
            {
                "api_token": token,
                "api_token_expiry": now + timedelta(seconds=max(lifetime - 60, 30)),
            }
        )
        return token

    def _spp_forget_token(self):
        """The FSP refused the token: the next call fetches a new one."""
        self.sudo().write({"api_token": False, "api_token_expiry": False})

    def _spp_callback_url(self, path=""):
        self.ensure_one()
        base = self.sudo().callback_base_url or self.env[
            "ir.config_parameter"
        ].sudo().get_param("web.base.url")
        secret = self.sudo().callback_secret
        return f"{base.rstrip('/')}/spp_payment/callback/{self.provider}/{secret}{path}"

    # Applying outcomes -------------------------------------------------------

    def _spp_apply_outcomes(
        self, outcomes, nowait=False, source="status_query", evidence=None
    ):
        """Move the payments the ``outcomes`` name, in bulk, through the guarded
        transitions. Returns counts: moved, same, stale (an older attempt),
        ignored (a regression or an impossible move), pending (still being sent),
        unknown (a key we never sent), suspected_double (a success for a payment
        we had failed, rejected or reversed, or for an attempt that is no longer
        its current one: recorded as an overpayment, see
        _spp_record_overpayments). ``source`` and ``evidence`` (the callback,
        say) go with any overpayment found."""
        self.ensure_one()
        counts = Counter()
        rows = self._spp_attempt_rows([o.key for o in outcomes], nowait)
        # Before any move: the states the FSP's report is judged against.
        self._spp_record_overpayments(outcomes, source, evidence)
        best = self._spp_moves(outcomes, rows, counts)
        self._spp_log_receipt_conflicts(outcomes)
        self._spp_store_fsp_details(outcomes, rows)
        for target, items in _by_target(best).items():
            counts["moved"] += len(self._spp_move(target, items))
        return counts

    def _spp_record_overpayments(self, outcomes, source, evidence=None):
        """Successes the FSP reports that we did not mean to pay, found in one
        SQL statement over the whole report and recorded as overpayment
        receivables: a success for an attempt that is not its payment's current
        one, or for a payment that is failed, rejected, reversed or cancelled
        (the full amount may have gone out twice); a paid amount above the
        amount issued (the excess)."""
        paid = [o for o in outcomes if o.state == states.PAID]
        if not paid:
            return self.env["spp.payment.overpayment"]
        reported = SQL(
            "SELECT * FROM unnest(%s::varchar[], %s::numeric[], %s::varchar[], "
            "%s::varchar[]) AS v(key, amount, raw, receipt)",
            [o.key for o in paid],
            [o.amount for o in paid],
            [o.raw_status or o.state for o in paid],
            [o.receipt for o in paid],
        )
        rows = SQL(
            """
            SELECT p.id, a.id,
                   CASE WHEN p.current_attempt_id IS DISTINCT FROM a.id
                          OR p.state = ANY(%(not_paying)s)
                        THEN 'double' ELSE 'excess' END AS kind,
                   %(source)s,
                   CASE WHEN p.current_attempt_id IS DISTINCT FROM a.id
                          OR p.state = ANY(%(not_paying)s)
                        THEN COALESCE(v.amount, p.amount)
                        ELSE v.amount - p.amount END,
                   p.state, v.raw, v.receipt, %(model)s, %(res_id)s,
                   CASE WHEN p.current_attempt_id IS DISTINCT FROM a.id
                        THEN 'success reported for attempt ' || a.attempt_no
                             || ', not the current one'
                        WHEN p.state = ANY(%(not_paying)s)
                        THEN 'success reported for a ' || p.state || ' payment'
                        ELSE 'paid ' || v.amount || ' for ' || p.amount || ' issued'
                   END
              FROM (%(reported)s) v
              JOIN spp_payment_attempt a
                ON a.idempotency_key = v.key AND a.fsp_id = %(fsp)s
              JOIN spp_payment p ON p.id = a.payment_id
             WHERE p.current_attempt_id IS DISTINCT FROM a.id
                OR p.state = ANY(%(not_paying)s)
                OR v.amount > p.amount
            """,
            not_paying=list(NOT_PAYING_STATES),
            source=source,
            model=evidence._name if evidence else None,
            res_id=evidence.id if evidence else None,
            reported=reported,
            fsp=self.id,
        )
        return self.env["spp.payment.overpayment"].sudo()._spp_record_sql(rows)

    def _spp_log_receipt_conflicts(self, outcomes):
        """A receipt reported for a paid payment's current attempt that differs
        from the one it holds is kept out of the payment and written to its
        event log, old and new (a receipt is evidence, never silently
        replaced)."""
        receipts = [o for o in outcomes if o.receipt]
        if not receipts:
            return
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO spp_payment_event
                    (payment_id, attempt_id, old_state, new_state, reason, user_id,
                     date)
                SELECT p.id, a.id, p.state, p.state,
                       left('FSP reported receipt ' || v.receipt || '; kept '
                            || p.external_ref, 250),
                       %s, now() at time zone 'utc'
                  FROM unnest(%s::varchar[], %s::varchar[]) AS v(key, receipt)
                  JOIN spp_payment_attempt a
                    ON a.idempotency_key = v.key AND a.fsp_id = %s
                  JOIN spp_payment p
                    ON p.id = a.payment_id AND p.current_attempt_id = a.id
                 WHERE p.state = ANY(%s) AND p.external_ref IS NOT NULL
                   AND p.external_ref <> v.receipt
                """,
                self.env.uid,
                [o.key for o in receipts],
                [o.receipt for o in receipts],
                self.id,
                list(RECEIPT_LOCKED_STATES),
            )
        )

    def _spp_moves(self, outcomes, rows, counts):
        """payment id -> the outcome that moves it; ``counts`` gets the verdict
        of every other outcome (same, stale, ignored, pending, unknown)."""
        best = {}
        for outcome in outcomes:
            row = rows.get(outcome.key)
            outcome = _as_reported(outcome, row)
            verdict = _verdict(row, outcome)
            if verdict != "move":
                counts[verdict] += 1
                continue
            payment_id = row[1]
            kept = best.get(payment_id)
            # Within one message the most advanced report wins.
            if kept is None or not states.is_regression(kept.state, outcome.state):
                best[payment_id] = outcome
        return best

    def _spp_attempt_rows(self, keys, nowait=False, lock=True):
        """key -> (attempt id, payment id, payment state, is current attempt),
        with the payments locked unless ``lock`` is false."""
        self.env.flush_all()
        locking = SQL("FOR UPDATE OF p %s", SQL("NOWAIT") if nowait else SQL(""))
        self.env.cr.execute(
            SQL(
                """
                SELECT a.idempotency_key, a.id, p.id, p.state,
                       p.current_attempt_id = a.id
                  FROM spp_payment_attempt a
                  JOIN spp_payment p ON p.id = a.payment_id
                 WHERE a.idempotency_key = ANY(%s) AND a.fsp_id = %s
                 ORDER BY p.id %s
                """,
                list(keys),
                self.id,
                locking if lock else SQL(""),
            )
        )
        return {row[0]: row[1:] for row in self.env.cr.fetchall()}

    def _spp_mark_batch(self, payments, batch_ref):
        """The current attempts of ``payments`` remember the FSP's batch
        reference: later status queries find them by it."""
        self.env.cr.execute(
            SQL(
                "UPDATE spp_payment_attempt a SET fsp_batch_ref = %s "
                "FROM spp_payment p "
                "WHERE p.id = ANY(%s) AND a.id = p.current_attempt_id",
                batch_ref,
                payments.ids,
            )
        )
        self.env["spp.payment.attempt"].invalidate_model(["fsp_batch_ref"])

    def _spp_store_fsp_details(self, outcomes, rows):
        """Raw status, reason and receipt on each attempt we know (evidence, even
        when the payment does not move)."""
        known = [o for o in outcomes if o.key in rows]
        if not known:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment_attempt a
                   SET fsp_status_raw = v.raw,
                       fsp_reason_code = COALESCE(v.code, a.fsp_reason_code),
                       fsp_txn_id = COALESCE(a.fsp_txn_id, v.receipt),
                       fsp_batch_ref = COALESCE(v.ref, a.fsp_batch_ref),
                       write_date = now() at time zone 'utc'
                  FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[],
                              %s::varchar[], %s::varchar[]) AS v(key, raw, code,
                                                               receipt, ref)
                 WHERE a.idempotency_key = v.key
                """,
                [o.key for o in known],
                [o.raw_status or o.state for o in known],
                [o.reason_code for o in known],
                [o.receipt for o in known],
                [o.fsp_ref for o in known],
            )
        )
        self.env["spp.payment.attempt"].invalidate_model()

    def _spp_move(self, target, items):
        """``items``: (payment id, outcome). Returns the payments moved."""
        payments = self.env["spp.payment"].sudo().browse([pid for pid, _o in items])
        first = items[0][1]
        reason = " ".join(
            filter(None, [first.reason_code, first.reason or first.raw_status])
        )[:250] or self.env._("Reported by %s", self.name)
        if target == states.PAID:
            amounts = {pid: o.amount for pid, o in items if o.amount is not None}
            moved = payments._set_paid(reason=reason, paid_amounts=amounts)
        else:
            moved = getattr(payments, f"_set_{target}")(reason=reason)
        self._spp_copy_receipts(items, target)
        return moved

    def _spp_copy_receipts(self, items, target=None):
        """Receipts and reasons of moved payments. A payment that just became
        paid takes the receipt of the attempt that paid it; any other keeps the
        receipt it has (a reversal does not replace the receipt of the payment
        it reverses; see _spp_log_receipt_conflicts)."""
        receipts = [(pid, o.receipt) for pid, o in items if o.receipt]
        reasons = [(pid, o.reason_code or o.reason) for pid, o in items]
        self.env.cr.execute(
            SQL(
                """
                UPDATE spp_payment p
                   SET external_ref = CASE
                           WHEN p.external_ref IS NULL OR %s THEN
                               COALESCE(r.receipt, p.external_ref)
                           ELSE p.external_ref END,
                       status_reason = COALESCE(v.reason, p.status_reason)
                  FROM unnest(%s::int[], %s::varchar[]) AS v(id, reason)
             LEFT JOIN unnest(%s::int[], %s::varchar[]) AS r(id, receipt)
                    ON r.id = v.id
                 WHERE p.id = v.id
                """,
                target == states.PAID,
                [r[0] for r in reasons],
                [r[1] for r in reasons],
                [r[0] for r in receipts],
                [r[1] for r in receipts],
            )
        )
        self.env["spp.payment"].invalidate_model(["external_ref", "status_reason"])

    # Scheduled status query ----------------------------------------------------

    @api.model
    def _cron_spp_query_statuses(self):
        """Ask each API FSP about payments sent, accepted, processing or unknown
        for longer than its threshold; then retry callbacks left pending."""
        for fsp in self.sudo().search([("state", "in", ("test", "enabled"))]):
            if not fsp._spp_supports_status_query():
                continue
            payments = fsp._spp_stale_payments()
            for start in range(0, len(payments), QUERY_BATCH):
                fsp._spp_fetch_status(payments[start : start + QUERY_BATCH])
        self.env["spp.payment.callback"]._spp_apply_pending()

    def _spp_stale_payments(self):
        limit = fields.Datetime.now() - timedelta(
            minutes=self.status_query_after_minutes
        )
        # Through the attempts (state indexed there, not on the payments): an
        # attempt in flight is its payment's current one (_one_attempt_in_flight)
        # and moves with it.
        attempts = self.env["spp.payment.attempt"].search(
            [
                ("fsp_id", "=", self.id),
                ("state", "in", ("sent", "accepted", "processing", "unknown")),
                ("write_date", "<=", limit),
            ],
            limit=50_000,
        )
        return attempts.payment_id


def _verdict(row, outcome):
    """What to do with one reported outcome: "move", or why not."""
    if row is None:
        return "unknown"
    _attempt_id, _payment_id, state, current = row
    if outcome.state == states.PAID and (not current or state in NOT_PAYING_STATES):
        # Money may have gone out twice: recorded, never dropped as stale or
        # final (see _spp_record_overpayments).
        return "suspected_double"
    if not current:
        return "stale"
    if state == states.QUEUED:
        return "pending"
    if outcome.state == state:
        return "same"
    if states.is_regression(state, outcome.state) or not states.is_allowed(
        state, outcome.state
    ):
        return "ignored"
    return "move"


def _as_reported(outcome, row):
    """A rejection reported once the FSP had started processing is a failure
    (the request itself was taken)."""
    if row and row[2] == states.PROCESSING and outcome.state == states.REJECTED:
        return dataclasses.replace(outcome, state=states.FAILED)
    return outcome


def _by_target(best):
    grouped = {}
    for payment_id, outcome in best.items():
        grouped.setdefault(outcome.state, []).append((payment_id, outcome))
    return grouped

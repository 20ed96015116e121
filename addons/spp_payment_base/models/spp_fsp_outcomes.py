# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""What FSP answers mean for payments, the same for every API connector: the
outcome rules (moves through the guarded transitions, stale, regressions,
suspected double payments, receipts) applied in bulk, and the scheduled status
query. Connectors only translate their protocol into
:class:`spp_payment_core.outcomes.Outcome` lists; how they reach the FSP is in
spp_fsp_transport."""

import dataclasses
import hashlib
from collections import Counter
from datetime import timedelta

from spp_payment_core import states

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import fsp_issued_sql, to_program_sql
from .spp_payment import RECEIPT_LOCKED_STATES
from .spp_payment_overpayment import NOT_PAYING_STATES

# Providers that answer no status query.
OFFLINE_PROVIDERS = ("manual", "file")
# Payment states whose outcome the FSP may still report.
IN_FLIGHT = ("sent", "accepted", "processing", "unknown")
# Job states in which a status-query chunk is still to run.
OPEN_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")


class SppFsp(models.Model):
    _inherit = "spp.fsp"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_paid_through(self):
        # spp.payment.fsp_id has no foreign key (see DerivedMany2one).
        self.env["spp.payment"]._spp_refuse_unlink_of(self, "fsp_id")

    # Hooks for connectors ------------------------------------------------------

    def _spp_parse_callback(self, payload, kind=None):
        """Outcomes reported by a callback ``payload`` received at the callback
        URL ``kind`` (e.g. result, timeout); raise ValueError if it is bad."""
        raise ValueError(f"provider {self.provider} sends no callbacks")

    def _spp_callback_is_hint(self):
        """True when this FSP's callbacks carry no outcome, only a reason to
        ask (PHEE's batch progress): the same one again still asks again."""
        return False

    def _spp_callback_message_key(self, raw, payload, kind=None):
        """What identifies an authenticated callback's message: the inbox
        records one callback per key (its repetitions are duplicates, applied
        never). By default the URL kind and the hash of the body; connectors
        whose FSP names its messages key them by that name. None (no key) for
        hints, which ask again each time."""
        if self._spp_callback_is_hint():
            return None
        return f"{kind or ''}:{hashlib.sha256(raw).hexdigest()}"

    def _spp_callback_deferrable(self, kind=None):
        """True when a callback of URL ``kind`` can be answered once it is
        authenticated, validated (_spp_callback_validate) and recorded, and
        applied later by the apply job, in batches (high-volume result
        notifications). False: it is applied within its request."""
        return False

    def _spp_callback_validate(self, payload, kind=None):
        """Raise CallbackRefused for a deferrable callback whose payload cannot
        be applied: what the request answers."""

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

    # Applying outcomes -------------------------------------------------------

    def _spp_apply_outcomes(
        self,
        outcomes,
        nowait=False,
        source="status_query",
        evidence=None,
        evidence_ids=None,
        verdicts=None,
    ):
        """Move the payments the ``outcomes`` name, in bulk, through the guarded
        transitions. Returns counts: moved, same, stale (an older attempt),
        ignored (a regression or an impossible move), pending (still being sent),
        unknown (a key we never sent), suspected_double (a success for a payment
        we had failed, rejected or reversed, or for an attempt that is no longer
        its current one: recorded as an overpayment, see
        _spp_record_overpayments). ``source`` and ``evidence`` (the callback,
        say) go with any overpayment found; ``evidence_ids``, beside
        ``outcomes``, name the evidence record of each outcome (a batch of
        callbacks). ``verdicts``, when given, gets each key's verdict."""
        self.ensure_one()
        counts = Counter()
        rows = self._spp_attempt_rows([o.key for o in outcomes], nowait)
        # Before any move: the states the FSP's report is judged against.
        self._spp_record_overpayments(outcomes, source, evidence, evidence_ids)
        best = self._spp_moves(outcomes, rows, counts, verdicts)
        self._spp_log_receipt_conflicts(outcomes)
        self._spp_store_fsp_details(outcomes, rows)
        for target, items in _by_target(best).items():
            counts["moved"] += len(self._spp_move(target, items))
        return counts

    def _spp_record_overpayments(
        self, outcomes, source, evidence=None, evidence_ids=None
    ):
        """Successes the FSP reports that we did not mean to pay, found in one
        SQL statement over the whole report and recorded as overpayment
        receivables: a success for an attempt that is not its payment's current
        one, or for a payment that is failed, rejected, reversed or cancelled
        (the full amount may have gone out twice); a paid amount above the
        amount issued (the excess)."""
        ids = evidence_ids or [None] * len(outcomes)
        paid = [
            (o, i) for o, i in zip(outcomes, ids, strict=True) if o.state == states.PAID
        ]
        if not paid:
            return self.env["spp.payment.overpayment"]
        reported = SQL(
            "SELECT * FROM unnest(%s::varchar[], %s::numeric[], %s::varchar[], "
            "%s::varchar[], %s::int[]) AS v(key, amount, raw, receipt, res_id)",
            [o.key for o, _i in paid],
            [o.amount for o, _i in paid],
            [o.raw_status or o.state for o, _i in paid],
            [o.receipt for o, _i in paid],
            [i for _o, i in paid],
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
                        THEN COALESCE(%(paid)s, p.amount)
                        ELSE %(paid)s - p.amount END,
                   p.state, v.raw, v.receipt, %(model)s,
                   COALESCE(v.res_id, %(res_id)s),
                   CASE WHEN p.current_attempt_id IS DISTINCT FROM a.id
                        THEN 'success reported for attempt ' || a.attempt_no
                             || ', not the current one'
                        WHEN p.state = ANY(%(not_paying)s)
                        THEN 'success reported for a ' || p.state || ' payment'
                        ELSE 'paid ' || v.amount || ' for ' || %(issued)s
                             || ' issued'
                   END
              FROM (%(reported)s) v
              JOIN spp_payment_attempt a
                ON a.idempotency_key = v.key AND a.fsp_id = %(fsp)s
              JOIN spp_payment p ON p.id = a.payment_id
             WHERE p.current_attempt_id IS DISTINCT FROM a.id
                OR p.state = ANY(%(not_paying)s)
                OR v.amount > %(issued)s
            """,
            # Reported in the FSP's currency; receivables in the program's.
            paid=to_program_sql(SQL("v.amount")),
            issued=fsp_issued_sql(),
            not_paying=list(NOT_PAYING_STATES),
            source=source,
            model=evidence._name if evidence is not None else None,
            res_id=evidence.id if evidence is not None and len(evidence) == 1 else None,
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

    def _spp_moves(self, outcomes, rows, counts, verdicts=None):
        """payment id -> the outcome that moves it; ``counts`` gets the verdict
        of every other outcome (same, stale, ignored, pending, unknown), and
        ``verdicts`` (when given) each key's ("moved" for a move)."""
        best = {}
        verdicts = {} if verdicts is None else verdicts
        for outcome in outcomes:
            row = rows.get(outcome.key)
            outcome = _as_reported(outcome, row)
            verdict = _verdict(row, outcome)
            verdicts[outcome.key] = "moved" if verdict == "move" else verdict
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
                "WHERE p.id = ANY(%s) AND a.id = p.current_attempt_id "
                # Attempts already marked are not rewritten, nor locked.
                "AND a.fsp_batch_ref IS DISTINCT FROM %s",
                batch_ref,
                payments.ids,
                batch_ref,
            )
        )
        self.env["spp.payment.attempt"].invalidate_model(["fsp_batch_ref"])

    def _spp_store_fsp_details(self, outcomes, rows):
        """Raw status, reason and receipt on each attempt we know (evidence, even
        when the payment does not move)."""
        # Not on attempts still being sent (queued): their sender updates them
        # when it records the FSP's answer, and a write here, committed while
        # it waits on the FSP, would fail that update (concurrent update under
        # repeatable read). The callback stays pending and brings them later.
        known = [
            o for o in outcomes if o.key in rows and rows[o.key][2] != states.QUEUED
        ]
        if not known:
            return
        # The payments (locked by _spp_attempt_rows) keep the latest message
        # for the status overview, in the same statement: the newest attempt
        # of each payment answered here wins.
        self.env.cr.execute(
            SQL(
                """
                WITH stored AS (
                    UPDATE spp_payment_attempt a
                       SET fsp_status_raw = v.raw,
                           fsp_reason_code = COALESCE(v.code, a.fsp_reason_code),
                           fsp_txn_id = COALESCE(a.fsp_txn_id, v.receipt),
                           fsp_batch_ref = COALESCE(v.ref, a.fsp_batch_ref),
                           write_date = now() at time zone 'utc'
                      FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[],
                                  %s::varchar[], %s::varchar[], %s::varchar[])
                           AS v(key, raw, code, receipt, ref, message)
                     WHERE a.idempotency_key = v.key
                 RETURNING a.payment_id, a.attempt_no, v.message
                )
                UPDATE spp_payment p SET last_fsp_message = latest.message
                  FROM (SELECT DISTINCT ON (payment_id) payment_id, message
                          FROM stored ORDER BY payment_id, attempt_no DESC) latest
                 WHERE p.id = latest.payment_id
                   AND p.last_fsp_message IS DISTINCT FROM latest.message
                """,
                [o.key for o in known],
                [o.raw_status or o.state for o in known],
                [o.reason_code for o in known],
                [o.receipt for o in known],
                [o.fsp_ref for o in known],
                [_message(o) or o.state for o in known],
            )
        )
        self.env["spp.payment.attempt"].invalidate_model()
        self.env["spp.payment"].invalidate_model(["last_fsp_message"])

    def _spp_move(self, target, items):
        """``items``: (payment id, outcome). Returns the payments moved."""
        payments = self.env["spp.payment"].sudo().browse([pid for pid, _o in items])
        reason = _message(items[0][1]) or self.env._("Reported by %s", self.name)
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
        """Enqueue status queries of the payments each API FSP holds for longer
        than its threshold, one job per chunk: the cron calls no FSP itself.
        Then retry callbacks left pending."""
        for fsp in self.sudo().search([("state", "in", ("test", "enabled"))]):
            if fsp._spp_supports_status_query():
                fsp._spp_enqueue_status_queries()
        self.env["spp.payment.callback"]._spp_apply_pending()

    def _spp_enqueue_status_queries(self, payments=None):
        """One queue job per chunk of ``payments`` (default: the stale ones,
        unless this FSP's last round is still running, so a slow FSP does not
        pile rounds up). Returns the number of jobs."""
        self.ensure_one()
        if payments is None:
            if self._spp_open_query_jobs():
                return 0
            payments = self._spp_stale_payments()
        ids = payments.ids
        size = self._spp_dispatch_chunk_size()
        chunks = [sorted(ids[i : i + size]) for i in range(0, len(ids), size)]
        for number, chunk in enumerate(chunks):
            digest = hashlib.sha256(",".join(map(str, chunk)).encode()).hexdigest()
            self.with_delay(
                description=self.env._(
                    "%(fsp)s: status query %(n)s of %(total)s",
                    fsp=self.name,
                    n=number + 1,
                    total=len(chunks),
                ),
                # The same chunk is never queued twice.
                identity_key=f"{self._spp_query_identity_prefix()}{digest[:32]}",
            )._job_spp_query_chunk(chunk)
        return len(chunks)

    def _spp_query_identity_prefix(self):
        return f"spp.fsp.query:{self.id}:"

    def _spp_open_query_jobs(self):
        return (
            self.env["queue.job"]
            .sudo()
            .search_count(
                [
                    ("identity_key", "=like", f"{self._spp_query_identity_prefix()}%"),
                    ("state", "in", OPEN_JOB_STATES),
                ],
                limit=1,
            )
        )

    def _job_spp_query_chunk(self, payment_ids):
        """Queue job: ask the FSP about one chunk of payments still in flight.
        Nothing is locked while the FSP answers; the outcomes are applied
        through the guarded transitions at the end."""
        self.ensure_one()
        payments = self.env["spp.payment"].browse(payment_ids).exists()
        payments = payments.filtered(
            lambda p: p.fsp_id == self and p.state in IN_FLIGHT and p.current_attempt_id
        )
        if not payments:
            return "nothing left to query"
        return f"{self._spp_fetch_status(payments)} of {len(payments)} updated"

    def _spp_stale_payments(self):
        limit = fields.Datetime.now() - timedelta(
            minutes=self.status_query_after_minutes
        )
        # Through the attempts: an attempt in flight is its payment's current
        # one (_one_live_attempt) and moves with it. Their state is in no
        # index on purpose (a paid transition's update stays HOT), so this
        # reads the attempt table: once per FSP and cron run, in no request.
        attempts = self.env["spp.payment.attempt"].search(
            [
                ("fsp_id", "=", self.id),
                ("state", "in", IN_FLIGHT),
                ("write_date", "<=", limit),
            ],
            limit=50_000,
        )
        return attempts.payment_id


def _message(outcome):
    """What the FSP said: its reason code and reason (or raw status)."""
    return " ".join(
        filter(None, [outcome.reason_code, outcome.reason or outcome.raw_status])
    )[:250]


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

"""Figures of the payments dashboard, from grouped counts and sums.

The database answers with one row per (state, ...) group; this module folds those
rows into the dashboard's buckets and rates, exactly (Decimal), without a database.
"""

from decimal import Decimal

from . import states

# Each payment state falls in exactly one bucket; issued is every bucket but
# draft and cancelled (money that was, or is being, sent).
BUCKETS = {
    states.DRAFT: "draft",
    states.APPROVED: "pending",
    states.QUEUED: "pending",
    states.SENT: "pending",
    states.ACCEPTED: "pending",
    states.PROCESSING: "pending",
    states.PAID: "paid",
    states.FAILED: "failed",
    states.REJECTED: "failed",
    states.REVERSED: "failed",
    states.UNKNOWN: "unknown",
    states.CANCELLED: "cancelled",
}
ISSUED_BUCKETS = ("pending", "paid", "failed", "unknown")
BUCKET_ORDER = ("draft", "pending", "paid", "failed", "unknown", "cancelled")


def states_of(bucket):
    """The payment states of a bucket (``issued``: those of every issued one)."""
    wanted = ISSUED_BUCKETS if bucket == "issued" else (bucket,)
    return sorted(s for s, b in BUCKETS.items() if b in wanted)


def fold_buckets(rows):
    """{bucket: {"count": int, "amount": Decimal}} from (state, count, amount) rows,
    with an ``issued`` entry summing the issued buckets. Every bucket is present."""
    totals = {b: {"count": 0, "amount": Decimal(0)} for b in (*BUCKET_ORDER, "issued")}
    for state, count, amount in rows:
        bucket = BUCKETS.get(state)
        if bucket is None:
            raise ValueError(f"unknown payment state {state!r}")
        for key in (bucket, "issued") if bucket in ISSUED_BUCKETS else (bucket,):
            totals[key]["count"] += int(count or 0)
            totals[key]["amount"] += Decimal(str(amount or 0))
    return totals


def success_rate(paid, failed):
    """Share of the settled payments that were paid, in percent rounded to one
    decimal; None when nothing is settled yet (no rate is not 0 %)."""
    settled = paid + failed
    if not settled:
        return None
    return (Decimal(100) * paid / settled).quantize(Decimal("0.1"))


def rates_by_key(rows):
    """[(key, paid, failed, unknown, pending, rate)] from (key, state, count)
    rows, ordered by key; unknown and pending payments are counted but are not
    settled, so they weigh in no rate."""
    counts = {}
    for key, state, count in rows:
        bucket = BUCKETS.get(state)
        if bucket in (None, "draft", "cancelled"):
            continue
        entry = counts.setdefault(key, dict.fromkeys(ISSUED_BUCKETS, 0))
        entry[bucket] += int(count or 0)
    return [
        (
            key,
            c["paid"],
            c["failed"],
            c["unknown"],
            c["pending"],
            success_rate(c["paid"], c["failed"]),
        )
        for key, c in sorted(counts.items(), key=lambda item: str(item[0]))
    ]

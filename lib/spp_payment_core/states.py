"""The payment state machine, as data.

Every FSP status is mapped onto these states; every state change of a payment is
checked against :data:`TRANSITIONS`. See the README for the diagram.
"""

DRAFT = "draft"
APPROVED = "approved"
QUEUED = "queued"
SENT = "sent"
ACCEPTED = "accepted"
PROCESSING = "processing"
PAID = "paid"
FAILED = "failed"
REJECTED = "rejected"
REVERSED = "reversed"
UNKNOWN = "unknown"
CANCELLED = "cancelled"

STATES = (
    DRAFT,
    APPROVED,
    QUEUED,
    SENT,
    ACCEPTED,
    PROCESSING,
    PAID,
    FAILED,
    REJECTED,
    REVERSED,
    UNKNOWN,
    CANCELLED,
)

TRANSITIONS = {
    DRAFT: frozenset({APPROVED, CANCELLED}),
    APPROVED: frozenset({QUEUED, CANCELLED}),
    QUEUED: frozenset({SENT, REJECTED, CANCELLED}),
    # A callback can overtake the acknowledgement of the request.
    SENT: frozenset({ACCEPTED, PROCESSING, PAID, FAILED, REJECTED, UNKNOWN}),
    ACCEPTED: frozenset({PROCESSING, PAID, FAILED, REJECTED, UNKNOWN}),
    PROCESSING: frozenset({PAID, FAILED, UNKNOWN}),
    # Never re-queued blind: a status query first resolves an unknown payment.
    UNKNOWN: frozenset({ACCEPTED, PROCESSING, PAID, FAILED, REJECTED}),
    PAID: frozenset({REVERSED}),
    # A retry is a new attempt, with a new idempotency key.
    FAILED: frozenset({QUEUED, CANCELLED}),
    REJECTED: frozenset({QUEUED, CANCELLED}),
    REVERSED: frozenset(),
    CANCELLED: frozenset(),
}

TERMINAL_STATES = frozenset(s for s, targets in TRANSITIONS.items() if not targets)
# Where every executed payment must end: settled one way or the other, or
# explicitly unknown (never silently lost).
SETTLED_STATES = frozenset({PAID, FAILED, REJECTED, REVERSED, UNKNOWN})
IN_FLIGHT_STATES = frozenset({QUEUED, SENT, ACCEPTED, PROCESSING, UNKNOWN})
RETRYABLE_STATES = frozenset({FAILED, REJECTED})
# Issued and not settled either way: the amount is spoken for. In a balance
# program it counts against the member's remaining entitlement (an unknown
# payment may have been paid).
RESERVING_STATES = frozenset(
    {DRAFT, APPROVED, QUEUED, SENT, ACCEPTED, PROCESSING, UNKNOWN}
)

# Progress of a payment through an FSP: a report ranked lower than the current
# state is a regression (``pdng`` arriving after ``succ``) and is ignored.
_RANK = {
    DRAFT: 0,
    APPROVED: 1,
    QUEUED: 2,
    SENT: 3,
    UNKNOWN: 3,
    ACCEPTED: 4,
    PROCESSING: 5,
    PAID: 6,
    FAILED: 6,
    REJECTED: 6,
    REVERSED: 7,
    CANCELLED: 7,
}


class IllegalTransition(ValueError):
    """A state change the machine does not allow."""


def is_allowed(source, target):
    return target in TRANSITIONS.get(source, ())


def check_transition(source, target):
    if source not in TRANSITIONS or target not in TRANSITIONS:
        raise IllegalTransition(f"Unknown payment state in {source!r} -> {target!r}")
    if not is_allowed(source, target):
        raise IllegalTransition(f"Payment cannot go from {source!r} to {target!r}")


def next_states(source):
    return TRANSITIONS[source]


def sources_of(target):
    """The states a payment may move to ``target`` from."""
    return frozenset(s for s, targets in TRANSITIONS.items() if target in targets)


def is_regression(current, reported):
    """True when an FSP report would move a payment backwards."""
    return _RANK[reported] < _RANK[current]


# FSP statuses -> our states (research/fsp-protocols.md §1-5). Unlisted statuses
# map to UNKNOWN: a status we cannot read is never taken for a success.
FSP_STATUS_MAP = {
    "g2p_connect": {
        # HTTP acknowledgement of /disburse
        "ACK": ACCEPTED,
        "NACK": ACCEPTED,  # received, to be polled
        "ERR": REJECTED,
        # message header status of /on-disburse
        "rjct": REJECTED,
        # item status in disbursements_status
        "rcvd": ACCEPTED,
        "pdng": PROCESSING,
        "succ": PAID,
    },
    "mpesa": {
        # B2C Result callback ResultCode (strings: SFC_IC0003 exists), with the
        # meanings of the Daraja v3 B2C result code table (fsp-protocols.md
        # §3.3). Each proves the payment did not go through; any other code is
        # UNKNOWN. Daraja's synchronous errorCodes (500.002.1001...) are not
        # result codes: see mpesa.SYNC_ERRORS.
        "0": PAID,  # success
        "1": FAILED,  # insufficient utility balance (retry after funding)
        "2": FAILED,  # below the minimum amount
        "3": FAILED,  # above the maximum amount
        "4": FAILED,  # daily limit reached
        "8": FAILED,  # maximum customer balance reached
        # configuration: account inactive, no B2C role, initiator invalid,
        # shortcode not permitted, credential locked
        "11": REJECTED,
        "2006": REJECTED,
        "21": REJECTED,
        "2001": REJECTED,
        "2028": REJECTED,
        "8006": REJECTED,
        "2040": FAILED,  # unregistered customer
        "SFC_IC0003": FAILED,  # the MSISDN does not exist
    },
    "phee": {
        "IN_PROGRESS": PROCESSING,
        "COMPLETED": PAID,
        "FAILED": FAILED,
        "UNKNOWN": UNKNOWN,
        "EXCEPTION": UNKNOWN,
    },
    "iso20022": {
        # pain.002 transaction / group status
        "RCVD": ACCEPTED,
        "ACTC": ACCEPTED,
        "ACCP": ACCEPTED,
        "ACWC": ACCEPTED,
        "PDNG": PROCESSING,
        "ACSP": PROCESSING,
        "ACSC": PAID,
        "ACCC": PAID,
        "RJCT": REJECTED,
        # camt.054 entry status of a booked debit
        "BOOK": PAID,
    },
}


def map_fsp_status(protocol, raw_status, default=UNKNOWN):
    """Our state for ``raw_status`` reported by an FSP speaking ``protocol``."""
    if protocol not in FSP_STATUS_MAP:
        raise ValueError(f"unknown FSP protocol {protocol!r}")
    return FSP_STATUS_MAP[protocol].get(str(raw_status).strip(), default)

"""Idempotency keys: one per (database, payment, attempt), the same every time.

A crash, a retried job or a second worker computing the key again gets the same
key, so the FSP recognises the request as a repeat instead of paying twice. The
UUID text form fits every FSP id field we speak (Daraja OriginatorConversationID,
G2P Connect reference_id, PH-EE request_id).
"""

import uuid

# Fixed forever: changing it would give in-flight payments new keys.
NAMESPACE = uuid.UUID("6f1c2b9e-8d7a-4c3e-9b5f-2a1d0e4c7b68")


def idempotency_key(database_uuid, payment_id, attempt_no):
    if not isinstance(database_uuid, str) or not database_uuid.strip():
        raise ValueError("the database uuid is required")
    for name, value in (("payment id", payment_id), ("attempt", attempt_no)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"the {name} must be a positive integer, not {value!r}")
    return str(uuid.uuid5(NAMESPACE, f"{database_uuid}:{payment_id}:{attempt_no}"))

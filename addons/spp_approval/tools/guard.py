# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Server-side guard for fields that only the suite's own methods may change.

A context key would not do: any RPC client can send one. A context variable lives in
the Python process only, so it is set by our guarded methods and by nothing else.
"""

import contextlib
import contextvars

from odoo.exceptions import UserError

_GUARDED = contextvars.ContextVar("spp_guarded_write", default=frozenset())


@contextlib.contextmanager
def guarded_write(*scopes):
    """Allow writes of the protected fields of ``scopes`` while the block runs."""
    token = _GUARDED.set(_GUARDED.get() | frozenset(scopes))
    try:
        yield
    finally:
        _GUARDED.reset(token)


def is_guarded_write(scope):
    return scope in _GUARDED.get()


def refuse_fields(names, message):
    """Refuse a write of ``names`` (field names), if any: a UserError with
    ``message`` (already translated), its ``%s`` the sorted names."""
    if names:
        raise UserError(message % ", ".join(sorted(names)))


def refuse_records(records, message):
    """Refuse an operation on ``records``, if any: a UserError with ``message``
    (already translated), its ``%s`` their names. The one wording of "these
    submitted or approved documents cannot change"."""
    if records:
        raise UserError(message % ", ".join(records.mapped("display_name")))

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Bulk loading with PostgreSQL COPY, the fastest way in for a million rows."""

import re

COPY_NULL = "\\N"
_SPECIAL = re.compile(r"[\\\t\n\r]")
_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def copy_text(value):
    """A value in COPY's text format; ``None``, ``False`` and "" are NULL."""
    if value is None or value is False or value == "":
        return COPY_NULL
    text = str(value)
    # One scan for the common value that needs no escape (millions per load).
    if _SPECIAL.search(text) is None:
        return text
    return _SPECIAL.sub(lambda match: _ESCAPES[match.group()], text)


def copy_bool(value):
    return "t" if value else "f"


def copy_into(cr, target, buffer):
    """COPY the text-format rows in ``buffer`` (a StringIO) into ``target``,
    e.g. "my_table (a, b)"."""
    buffer.seek(0)
    cr._obj.copy_expert(f"COPY {target} FROM STDIN", buffer)

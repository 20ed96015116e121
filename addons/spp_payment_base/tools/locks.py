# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Pieces of work taken by one worker: row locks that say "someone else has
it" instead of waiting, and the name of the worker."""

import os
import socket

from psycopg2.errors import LockNotAvailable

from odoo.tools import config


def take_row(cr, query):
    """The row ``query`` (a ``SELECT ... FOR UPDATE NOWAIT``) returns, locked
    until this transaction ends, or None when another transaction holds it.
    Work cut in pieces (a run's chunks, a batch's slices) is taken this way:
    two job runners, or a job run twice, never process one piece twice, and
    the second one moves on instead of queueing behind the first."""
    try:
        with cr.savepoint(flush=False):
            cr.execute(query, log_exceptions=False)
            return cr.fetchone()
    except LockNotAvailable:
        return None


def worker_name():
    """This Odoo process, as a piece of work records who did it: host, HTTP
    port (two servers on one host) and process id."""
    return f"{socket.gethostname()}:{config['http_port']}/{os.getpid()}"

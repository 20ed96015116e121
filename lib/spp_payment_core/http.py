# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Calling an FSP: bounded retries with back-off on 5xx and 429, and a clear line
between "the request never left" (safe to send again) and "no answer" (the money
may have moved: the payment becomes unknown and is resolved by a status query)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class NotSent(Exception):
    """The request did not reach the FSP."""


class NoAnswer(Exception):
    """The request left, and no usable answer came back."""


def call(
    method,
    url,
    *,
    json=None,
    data=None,
    files=None,
    headers=None,
    auth=None,
    timeout=30,
    attempts=3,
    backoff=1.0,
    sleep=time.sleep,
    session=None,
):
    """(status, parsed JSON or None). The same bytes are sent again after a
    5xx or 429 (with back-off, honouring Retry-After); never after a timeout."""
    http = session or requests
    for attempt in range(1, attempts + 1):
        try:
            response = http.request(
                method,
                url,
                json=json,
                data=data,
                files=files,
                headers=headers,
                auth=auth,
                timeout=timeout,
            )
        except requests.exceptions.ConnectTimeout as error:
            raise NotSent(str(error)) from error
        except requests.exceptions.ConnectionError as error:
            if _never_connected(error):
                raise NotSent(str(error)) from error
            raise NoAnswer(str(error)) from error
        except requests.exceptions.Timeout as error:
            raise NoAnswer(str(error)) from error
        if response.status_code in RETRY_STATUSES and attempt < attempts:
            sleep(_delay(response, attempt, backoff))
            continue
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, None
    raise AssertionError("unreachable")  # pragma: no cover


def _never_connected(error):
    text = repr(error)
    return "NewConnectionError" in text or "Connection refused" in text


def _delay(response, attempt, backoff):
    retry_after = response.headers.get("Retry-After", "")
    if retry_after.isdigit():
        return min(int(retry_after), 60)
    return min(backoff * 2 ** (attempt - 1), 60)


_LIMITERS = {}
_LIMITERS_LOCK = threading.Lock()
_SESSIONS = threading.local()


def shared_limiter(key, per_second):
    """The process-wide TokenBucket of ``key`` (e.g. (database, FSP id)): the
    threads of a worker process share one rate per remote party; a changed
    rate replaces it."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(key)
        if limiter is None or limiter.per_second != per_second:
            limiter = _LIMITERS[key] = TokenBucket(per_second)
    return limiter


def thread_session(key):
    """This thread's requests.Session for ``key``: connections are reused,
    and no session is shared between threads (it is not thread-safe)."""
    sessions = _SESSIONS.__dict__.setdefault("by_key", {})
    if key not in sessions:
        sessions[key] = requests.Session()
    return sessions[key]


class TokenBucket:
    """A token bucket shared by the threads (and jobs) of a worker process
    that call one FSP: tokens drip in at ``per_second`` up to ``burst``, and
    each call takes one, waiting for it when the bucket is empty (0 or less:
    no limit). With the default burst of one, calls are spaced by
    1/``per_second``, whichever thread makes them. ``wait()`` blocks outside
    the bucket's lock, and callers wait outside any database transaction that
    holds payment locks."""

    def __init__(self, per_second, burst=1, clock=time.monotonic, sleep=time.sleep):
        self.per_second = per_second
        self.burst = max(burst, 1)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        # The bucket kept as one time (GCRA): when it is full again, counting
        # the calls made so far; a call may go once that is no more than
        # burst - 1 tokens away.
        self._full_at = None

    def wait(self):
        """Take a token, blocking until one is there; returns the seconds waited."""
        if not self.per_second or self.per_second <= 0:
            return 0.0
        interval = 1.0 / self.per_second
        with self._lock:
            now = self._clock()
            full_at = now if self._full_at is None else self._full_at
            start = max(now, full_at - (self.burst - 1) * interval)
            self._full_at = max(full_at, start) + interval
        delay = start - now
        if delay > 0:
            self._sleep(delay)
        return delay


# The pacing every caller has used so far: one call each 1/per_second.
RateLimiter = TokenBucket


def run_concurrently(function, items, concurrency):
    """``[function(item) for item in items]``, by up to ``concurrency``
    threads at once (the order of the results is the items'). ``function``
    must touch no database cursor: it runs outside the caller's thread."""
    items = list(items)
    workers = max(1, min(concurrency or 1, len(items)))
    if workers == 1:
        return [function(item) for item in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="spp-fsp") as pool:
        return list(pool.map(function, items))

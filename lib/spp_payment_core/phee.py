# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Mifos Payment Hub EE (PHEE) bulk payments: CSV batches, replies, polling.

A batch is a multipart CSV posted to ``/batchtransactions``; its
``X-CorrelationID`` is our batch key (PHEE stores it as the batch ``requestId``,
so after a timeout ``GET /api/v1/batch?requestId=`` tells whether it arrived)
and each row's ``request_id`` is the attempt's idempotency key, reported back as
the transfer's ``clientCorrelationId``. PHEE fails the second of two rows with
the same payee, amount and currency in one file ("Duplicate transaction."), so
such rows go to different batches. Progress callbacks are hints only: outcomes
are read from ``/api/v1/batch/detail``. See fsp-protocols.md §4.
"""

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

from . import states
from .money import format_amount, round_money, to_decimal
from .outcomes import Outcome

TOKEN_PATH = "/oauth/token"
BATCH_PATH = "/batchtransactions"
SUMMARY_PATH = "/api/v1/batch"
DETAIL_PATH = "/api/v1/batch/detail"
MAX_CSV_BYTES = 100_000
BASE_COLUMNS = (
    "id",
    "request_id",
    "payment_mode",
    "payer_identifier_type",
    "payer_identifier",
    "payee_identifier_type",
    "payee_identifier",
    "amount",
    "currency",
    "note",
)
OPTIONAL_COLUMNS = (
    "account_number",
    "program_shortcode",
    "cycle",
    "payee_dfsp_id",
    "batch_id",
)
# TransferStatus -> payment state: one table, shared with states.map_fsp_status.
TRANSFER_STATUS = states.FSP_STATUS_MAP["phee"]
# statusDetail of a FAILED transfer that had been COMPLETED (money taken back).
REVERSED_DETAIL = "REVERSED"
# "Basic client:" - the operations app's public OAuth client.
BASIC_CLIENT = "Basic Y2xpZW50Og=="
POLLING_PREFIX = "/batch/Summary/"
_PERCENT = re.compile(r"(\d+)(?:\.\d*)?\s*%?\s*$")


class PheeError(ValueError):
    """A message that breaks the PHEE protocol, or a batch PHEE refused."""


@dataclass(frozen=True)
class Row:
    request_id: str
    payee_identifier_type: str
    payee_identifier: str
    amount: Decimal
    currency: str
    payment_mode: str = "gsma"
    payer_identifier_type: str = "msisdn"
    payer_identifier: str = ""
    note: str = ""


# CSV -----------------------------------------------------------------------------


def amount_text(amount):
    """Two decimals ("100.00"): PHEE compares amounts as text when it looks for
    duplicates, and a cent we cannot send must not be rounded away silently."""
    try:
        value = to_decimal(amount)
    except ValueError as error:
        raise PheeError(str(error)) from error
    if value <= 0 or value != round_money(value, 2):
        raise PheeError(f"PHEE pays positive amounts in cents, not {amount}")
    return format_amount(value, 2)


def _fields(row):
    """The row's cells after ``id`` (which depends on the row's place in a file).
    A newline would split the row for a line-based reader: it is refused;
    commas and quotes are quoted by the csv module."""
    cells = (
        row.request_id,
        row.payment_mode,
        row.payer_identifier_type,
        row.payer_identifier,
        row.payee_identifier_type,
        row.payee_identifier,
        amount_text(row.amount),
        row.currency,
        row.note or "",
    )
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            raise PheeError(f"a line break in a CSV cell of row {row.request_id!r}")
    return cells


def _render(cells):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode()


HEADER = _render(BASE_COLUMNS)


def _line(index, tail):
    """A full CSV line: ``id`` is a bare integer, so it needs no quoting and the
    line's length is ``len(str(index)) + 1 + len(tail)`` - split_batches counts
    on that instead of rendering each candidate file."""
    return b"%d," % index + tail


def batch_csv(rows):
    """UTF-8 CSV with the 10 base columns; ``id`` is the 0-based row index."""
    tails = (_render(_fields(row)) for row in rows)
    return HEADER + b"".join(_line(i, tail) for i, tail in enumerate(tails))


def duplicate_key(row):
    """What PHEE compares to find a duplicate transaction within one file."""
    return (
        row.payee_identifier,
        row.payee_identifier_type,
        amount_text(row.amount),
        row.currency,
    )


def split_batches(rows, max_bytes=MAX_CSV_BYTES):
    """Rows in batches whose CSV fits ``max_bytes`` and holds no duplicate key;
    order is kept within each batch. Greedy: a row goes to the first open batch
    after the last one holding its key. A batch a row did not fit in is closed,
    and ``_open_from`` skips closed batches, so the split is O(n)."""
    batches, sizes, last = [], [], {}  # last: key -> last batch holding it
    next_open = []  # next_open[i] == i: batch i is open; else a later candidate
    for row in rows:
        tail, key = _render(_fields(row)), duplicate_key(row)
        index = _open_from(next_open, last.get(key, -1) + 1)
        while index < len(batches) and (
            sizes[index] + len(_line(len(batches[index]), tail)) > max_bytes
        ):
            next_open[index] = index + 1
            index = _open_from(next_open, index + 1)
        if index == len(batches):
            if len(HEADER) + len(_line(0, tail)) > max_bytes:
                raise PheeError(f"row {row.request_id!r} alone exceeds {max_bytes} B")
            batches.append([])
            sizes.append(len(HEADER))
            next_open.append(index)
        sizes[index] += len(_line(len(batches[index]), tail))
        batches[index].append(row)
        last[key] = index
    return batches


def _open_from(next_open, index):
    """The first open batch index >= ``index`` (union-find, path halving)."""
    while index < len(next_open) and next_open[index] != index:
        parent = next_open[index]
        if parent < len(next_open):
            next_open[index] = next_open[parent]
        index = next_open[index]
    return index


# Requests ------------------------------------------------------------------------


def token_request(username, password, tenant):
    """(path, headers, form) of the operations app's password grant."""
    headers = {"Authorization": BASIC_CLIENT, "Platform-TenantId": tenant}
    form = {"grant_type": "password", "username": username, "password": password}
    return TOKEN_PATH, headers, form


def parse_token(status, body):
    """(access token, lifetime in seconds) of a token answer."""
    body = body if isinstance(body, dict) else {}
    token, expires = body.get("access_token"), body.get("expires_in")
    if status != 200 or not isinstance(token, str) or not token:
        detail = body.get("error_description") or body.get("error") or ""
        raise PheeError(f"no PHEE token: HTTP {status} {detail}".strip())
    try:
        return token, int(expires)
    except (TypeError, ValueError) as error:
        raise PheeError(f"token without a usable expires_in: {expires!r}") from error


def batch_headers(
    *,
    correlation_id,
    tenant,
    filename,
    purpose,
    callback_url=None,
    token=None,
    program_id=None,
    institution_id=None,
):
    """Headers of a CSV batch. The callback URL goes under both spellings: PHEE
    reads ``X-CallbackURL``, the GovStack spec says ``X-Callback-URL``."""
    for name, value in (
        ("correlation_id", correlation_id),
        ("tenant", tenant),
        ("filename", filename),
        ("purpose", purpose),
    ):
        if not value:
            raise PheeError(f"a PHEE batch needs a {name}")
    headers = {
        "Type": "csv",
        "X-CorrelationID": correlation_id,
        "Platform-TenantId": tenant,
        "Purpose": purpose,
        "filename": filename,
    }
    if callback_url:
        headers["X-CallbackURL"] = headers["X-Callback-URL"] = callback_url
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if program_id:
        headers["X-Program-ID"] = program_id
    if institution_id:
        headers["X-Registering-Institution-ID"] = institution_id
    return headers


def parse_batch_reply(status, body):
    """The batch id PHEE gave an accepted batch; PheeError with PHEE's words
    when it refused the file (then every row of it is rejected)."""
    body = body if isinstance(body, dict) else {}
    if status in (200, 202):
        polling = str(body.get("PollingPath") or "")
        batch_id = polling.rpartition("/")[2] if polling else body.get("batchId")
        batch_id = batch_id or body.get("batch_id")
        if batch_id:
            return str(batch_id)
    info = body.get("Error Information: ") or body.get("errorInformation") or ""
    text = body.get("Error Description : ") or body.get("errorDescription") or ""
    detail = ": ".join(str(part) for part in (info, text) if part)
    raise PheeError(f"PHEE refused the batch: HTTP {status} {detail}".strip())


def summary_path(batch_id=None, request_id=None):
    """By ``batchId``, or by our ``X-CorrelationID`` to learn whether a batch
    whose POST got no answer did arrive."""
    if bool(batch_id) == bool(request_id):
        raise PheeError("a batch summary needs a batch id or a request id")
    query = {"batchId": batch_id} if batch_id else {"requestId": request_id}
    return f"{SUMMARY_PATH}?{urlencode(query)}"


def detail_path(batch_id, page=0, size=1000):
    query = {"batchId": batch_id, "status": "ALL", "pageNo": page, "pageSize": size}
    return f"{DETAIL_PATH}?{urlencode(query)}"


# Replies -------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchSummary:
    batch_id: str
    request_id: str
    status: str
    total: int
    successful: int
    failed: int
    ongoing: int
    total_amount: Decimal
    successful_amount: Decimal
    failed_amount: Decimal
    pending_amount: Decimal

    @property
    def completed(self):
        return self.status == "COMPLETED"


def _number(body, key, kind):
    try:
        return kind(str(body.get(key) or 0))
    except (ArithmeticError, ValueError) as error:
        raise PheeError(f"batch summary {key}: {body.get(key)!r}") from error


def parse_summary(body):
    """A BatchDTO of ``GET /api/v1/batch``."""
    if not isinstance(body, dict) or not body.get("batchId"):
        raise PheeError(f"not a PHEE batch summary: {body!r:.200}")
    return BatchSummary(
        batch_id=str(body["batchId"]),
        request_id=str(body.get("requestId") or ""),
        status=str(body.get("status") or ""),
        **{
            field: _number(body, key, int)
            for field, key in (
                ("total", "total"),
                ("successful", "successful"),
                ("failed", "failed"),
                ("ongoing", "ongoing"),
            )
        },
        **{
            field: _number(body, key, Decimal)
            for field, key in (
                ("total_amount", "totalAmount"),
                ("successful_amount", "successfulAmount"),
                ("failed_amount", "failedAmount"),
                ("pending_amount", "pendingAmount"),
            )
        },
    )


def _outcome(transfer):
    key = transfer.get("clientCorrelationId") if isinstance(transfer, dict) else None
    if not key:
        raise PheeError(f"a transfer without clientCorrelationId: {transfer!r:.200}")
    raw = str(transfer.get("status") or "")
    state = states.map_fsp_status("phee", raw)
    detail = transfer.get("statusDetail")
    if state == states.FAILED and detail == REVERSED_DETAIL:
        # Paid, then taken back: a paid payment can be reversed, never failed.
        state = states.REVERSED
    unpaid = state not in (states.PAID, states.PROCESSING)
    amount = transfer.get("amount")
    return Outcome(
        key=str(key),
        state=state,
        raw_status=raw,
        reason=(transfer.get("errorInformation") or detail) if unpaid else None,
        receipt=transfer.get("transactionId"),
        amount=None if amount is None else to_decimal(amount),
        fsp_ref=transfer.get("transactionId"),
    )


def parse_detail(body):
    """(outcomes, total pages) of one page of ``GET /api/v1/batch/detail``.
    A status we cannot read is UNKNOWN (never a success), raw status kept."""
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, list):
        raise PheeError(f"not a page of transfers: {body!r:.200}")
    pages = int(body.get("totalPages") or 0)
    return [_outcome(transfer) for transfer in content], pages


def parse_callback(body):
    """(batch id, our correlation id, percent done or None) of a progress
    callback. A hint only: the caller then polls the detail."""
    if not isinstance(body, dict) or not body.get("batchId"):
        raise PheeError(f"not a PHEE batch callback: {body!r:.200}")
    match = _PERCENT.search(str(body.get("message") or ""))
    percent = int(match.group(1)) if match else None
    return str(body["batchId"]), body.get("clientCorrelationId"), percent


def missing_after_completion(sent_keys, outcomes, summary):
    """Keys sent in a COMPLETED batch that its detail does not list: PHEE will
    not report them any more, so they are flagged for review as unknown."""
    if not summary.completed:
        return []
    seen = {outcome.key for outcome in outcomes}
    return [key for key in sent_keys if key not in seen]

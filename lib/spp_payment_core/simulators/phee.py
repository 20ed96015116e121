# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A Mifos Payment Hub EE bulk processor and operations app (fsp-protocols.md §4).

Batches are taken as PHEE takes them; transfers stay ``IN_PROGRESS`` until
:meth:`PheeSimulator.settle`, which gives each its outcome (by the payee
identifier's last digits) and queues the batch's progress callback;
:meth:`flush` delivers it. :meth:`reverse_completed` later turns the "reversed"
payments' COMPLETED transfers into FAILED/REVERSED.
"""

import csv
import io
import secrets
import threading
import uuid
from collections import Counter
from datetime import datetime, timezone
from decimal import Decimal
from email.parser import BytesHeaderParser
from urllib.parse import parse_qs, urlsplit

from .. import phee
from .base import Simulator

# outcome -> (final TransferStatus, errorInformation)
FINAL = {
    "insufficient_funds": ("FAILED", "Insufficient funds in the payer account"),
    "invalid_account": ("FAILED", "Payee identifier not found"),
    "no_answer": ("UNKNOWN", None),
}
DUPLICATE = "Duplicate transaction."
KNOWN_COLUMNS = frozenset(phee.BASE_COLUMNS + phee.OPTIONAL_COLUMNS)
REQUIRED_HEADERS = ("platform-tenantid", "purpose", "filename", "x-correlationid")


def _now():
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _file_error(information, description):
    """PHEE's 400 for a bad file, with its (sic) keys."""
    return 400, {
        "Error Information: ": information,
        "Error Description : ": description,
    }


class PheeSimulator(Simulator):
    routes = {
        ("POST", phee.TOKEN_PATH): "token",
        ("POST", phee.BATCH_PATH): "batch",
        ("GET", phee.SUMMARY_PATH): "summary",
        ("GET", phee.DETAIL_PATH): "detail",
    }

    def __init__(
        self,
        tenant="ibank-usa",
        username="mifos",
        password="password",
        require_token=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.tenant, self.username, self.password = tenant, username, password
        self.require_token = require_token
        self.tokens = set()
        self.batches = {}  # batchId -> batch dict, transfers in file order
        self.by_correlation = {}  # X-CorrelationID -> batchId
        self._batch_lock = threading.Lock()

    def expire_tokens(self):
        self.tokens.clear()

    # Routes ------------------------------------------------------------------

    def token(self, headers, body, path):
        form = {k: v[0] for k, v in parse_qs(body.decode(errors="replace")).items()}
        problems = []
        if headers.get("authorization") != phee.BASIC_CLIENT:
            problems.append("Authorization is not Basic client:")
        if headers.get("platform-tenantid") != self.tenant:
            problems.append("Platform-TenantId")
        if form.get("grant_type") != "password":
            problems.append("grant_type is not password")
        if problems:
            self.violation(f"token: {problems}")
            return 401, {"error": "unauthorized", "error_description": str(problems)}
        if (form.get("username"), form.get("password")) != (
            self.username,
            self.password,
        ):
            return 400, {
                "error": "invalid_grant",
                "error_description": "Bad credentials",
            }
        token = secrets.token_hex(16)
        self.tokens.add(token)
        return 200, {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": 3599,
            "scope": "read write",
        }

    def batch(self, headers, body, path):
        bearer = headers.get("authorization", "").removeprefix("Bearer ").strip()
        if self.require_token and bearer not in self.tokens:
            return 401, {"error": "invalid_token", "error_description": "Bad token"}
        problems = self._header_problems(headers)
        if problems:
            self.violation(f"batchtransactions headers: {problems}")
            return _file_error("Invalid request", "; ".join(problems))
        with self._batch_lock:
            batch_id = self.by_correlation.get(headers["x-correlationid"])
            if batch_id is None:
                status, answer = self._new_batch(headers, body)
                if status != 202:
                    return status, answer
                batch_id = answer
        return 202, {
            "PollingPath": f"{phee.POLLING_PREFIX}{batch_id}",
            "SuggestedCallbackSeconds": "120",
        }

    def _header_problems(self, headers):
        problems = [name for name in REQUIRED_HEADERS if not headers.get(name)]
        if headers.get("platform-tenantid") not in (None, "", self.tenant):
            problems.append("unknown Platform-TenantId")
        if headers.get("type") != "csv":
            problems.append(f"Type mismatch: {headers.get('type')!r} for a CSV file")
        return problems

    def _new_batch(self, headers, body):
        """(202, batch id) of a new batch, or PHEE's refusal of the file."""
        data = _multipart_part(headers.get("content-type", ""), body, "data")
        if data is None:
            self.violation("batchtransactions: no multipart part 'data'")
            return 400, {
                "errorInformation": "File not uploaded",
                "errorDescription": "There was no file in the request",
                "errorCode": 400,
            }
        if len(data) > phee.MAX_CSV_BYTES:
            self.violation(f"batchtransactions: {len(data)} B file")
            return _file_error("File too big", f"Maximum is {phee.MAX_CSV_BYTES} B")
        reader = csv.DictReader(io.StringIO(data.decode("utf-8", "replace")))
        columns, rows = reader.fieldnames or [], list(reader)
        if not rows or not set(columns) <= KNOWN_COLUMNS:
            self.violation(f"batchtransactions: columns {columns}, {len(rows)} rows")
            return _file_error("Invalid file structure", "Unknown CSV header")
        batch_id = str(uuid.uuid4())
        self.batches[batch_id] = {
            "batchId": batch_id,
            "requestId": headers["x-correlationid"],
            "purpose": headers["purpose"],
            "file": headers["filename"],
            "callback": headers.get("x-callbackurl"),
            "createdAt": _now(),
            "transfers": self._transfers(batch_id, rows),
        }
        self.by_correlation[headers["x-correlationid"]] = batch_id
        return 202, batch_id

    def _transfers(self, batch_id, rows):
        """IN_PROGRESS transfers; the second of two rows with one duplicate key
        FAILS at once, as PHEE's de-duplication does."""
        seen, transfers = set(), []
        for index, row in enumerate(rows):
            if row.get("id") != str(index):
                self.violation(f"row {index}: id {row.get('id')!r}")
            amount = self._amount(row)
            outcome = self.outcome_of(row.get("payee_identifier"))
            transfer = _transfer(batch_id, row, amount, outcome)
            key = (
                row.get("payee_identifier"),
                row.get("payee_identifier_type"),
                row.get("amount") if amount is None else amount,
                row.get("currency"),
            )
            if key in seen or amount is None:
                transfer.update(
                    status="FAILED",
                    errorInformation=DUPLICATE if key in seen else "Invalid amount",
                )
            seen.add(key)
            transfers.append(transfer)
        return transfers

    def _amount(self, row):
        try:
            return Decimal(phee.amount_text(row.get("amount") or ""))
        except phee.PheeError:
            self.violation(f"row {row.get('id')}: amount {row.get('amount')!r}")
            return None

    def summary(self, headers, body, path):
        query = _query(path)
        batch_id = query.get("batchId") or self.by_correlation.get(
            query.get("requestId")
        )
        if batch_id not in self.batches:
            return 404, {"errorCode": "404", "errorDescription": "Batch not found"}
        return 200, _batch_dto(self.batches[batch_id])

    def detail(self, headers, body, path):
        query = _query(path)
        page, size = query.get("pageNo", "0"), query.get("pageSize", "10")
        page, size = (int(page), int(size)) if (page + size).isdigit() else (0, 0)
        if size < 1:
            self.violation(f"batch detail: page {page} of size {size}")
            return 400, {"errorCode": "400", "errorDescription": "Bad page"}
        batch = self.batches.get(query.get("batchId"), {"transfers": []})
        wanted = query.get("status", "ALL")
        content = [
            _public(t)
            for t in batch["transfers"]
            if wanted == "ALL" or t["status"] == wanted
        ]
        return 200, {
            "content": content[page * size : (page + 1) * size],
            "totalElements": len(content),
            "totalPages": -(-len(content) // size),
            "number": page,
            "size": size,
        }

    # Time passing ------------------------------------------------------------

    def settle(self):
        """Move every IN_PROGRESS transfer to its final status and queue each
        touched batch's progress callback (twice, or not at all, by outcome)."""
        for batch in self.batches.values():
            moving = [t for t in batch["transfers"] if t["status"] == "IN_PROGRESS"]
            for transfer in moving:
                status, error = FINAL.get(transfer["_outcome"], ("COMPLETED", None))
                transfer.update(
                    status=status, errorInformation=error, completedAt=_now()
                )
            outcomes = {t["_outcome"] for t in batch["transfers"]}
            if not moving or not batch["callback"] or "lost_callback" in outcomes:
                continue
            for _ in range(1 + ("duplicate_callback" in outcomes)):
                self.queue_callback(batch["callback"], _progress(batch))

    def reverse_completed(self):
        """The "reversed" payments' COMPLETED transfers become FAILED with
        statusDetail REVERSED; returns their request ids."""
        reversed_ids = []
        for batch in self.batches.values():
            for transfer in batch["transfers"]:
                if transfer["_outcome"] == "reversed" and (
                    transfer["status"] == "COMPLETED"
                ):
                    transfer.update(status="FAILED", statusDetail=phee.REVERSED_DETAIL)
                    reversed_ids.append(transfer["clientCorrelationId"])
        return reversed_ids

    def late_success(self, request_id):
        """Fault: PHEE completes the transfer ``request_id`` it had reported
        FAILED and calls its batch back."""
        for batch in self.batches.values():
            for transfer in batch["transfers"]:
                if transfer["clientCorrelationId"] == request_id:
                    transfer.update(
                        status="COMPLETED", errorInformation=None, completedAt=_now()
                    )
                    self.queue_callback(batch["callback"], _progress(batch))
                    return batch["requestId"]
        raise KeyError(request_id)

    def paid_twice(self):
        """Request ids with more than one COMPLETED transfer: must stay empty."""
        paid = Counter(
            t["clientCorrelationId"]
            for batch in self.batches.values()
            for t in batch["transfers"]
            if t["status"] == "COMPLETED"
        )
        return sorted(key for key, times in paid.items() if times > 1)


def _transfer(batch_id, row, amount, outcome):
    """A Transfer of the operations app; ``_`` keys are the simulator's own."""
    return {
        "transactionId": str(uuid.uuid4()),
        "startedAt": _now(),
        "completedAt": None,
        "status": "IN_PROGRESS",
        "statusDetail": None,
        "payeeDfspId": row.get("payee_dfsp_id"),
        "payeePartyId": row.get("payee_identifier"),
        "payeePartyIdType": row.get("payee_identifier_type"),
        "payeeFee": 0,
        "payerPartyId": row.get("payer_identifier"),
        "payerPartyIdType": row.get("payer_identifier_type"),
        "amount": float(amount) if amount is not None else None,
        "currency": row.get("currency"),
        "direction": "OUTGOING",
        "errorInformation": None,
        "batchId": batch_id,
        "clientCorrelationId": row.get("request_id"),
        "_outcome": outcome,
        "_mode": row.get("payment_mode"),
        "_amount": amount or Decimal(0),
    }


def _public(transfer):
    return {k: v for k, v in transfer.items() if not k.startswith("_")}


def _batch_dto(batch):
    transfers = batch["transfers"]

    def count_and_sum(*statuses):
        chosen = [t for t in transfers if t["status"] in statuses]
        return len(chosen), float(sum((t["_amount"] for t in chosen), Decimal(0)))

    successful, successful_amount = count_and_sum("COMPLETED")
    failed, failed_amount = count_and_sum("FAILED")
    ongoing, pending_amount = count_and_sum("IN_PROGRESS")
    total, total_amount = count_and_sum(*phee.TRANSFER_STATUS)
    return {
        "batchId": batch["batchId"],
        "requestId": batch["requestId"],
        "correlationId": batch["requestId"],
        "total": total,
        "ongoing": ongoing,
        "failed": failed,
        "successful": successful,
        "totalAmount": total_amount,
        "successfulAmount": successful_amount,
        "pendingAmount": pending_amount,
        "failedAmount": failed_amount,
        "file": batch["file"],
        "notes": None,
        "createdAt": batch["createdAt"],
        "modes": ",".join(sorted({t["_mode"] for t in transfers} - {None})),
        "purpose": batch["purpose"],
        "failPercentage": str(round(100 * failed / total, 2)) if total else "0",
        "successPercentage": str(round(100 * successful / total, 2)) if total else "0",
        "registeringInstitutionId": None,
        "payerFsp": None,
        "status": "COMPLETED" if not ongoing else "Pending",
    }


def _progress(batch):
    transfers = batch["transfers"]
    done = sum(t["status"] != "IN_PROGRESS" for t in transfers)
    percent = 100 * done // len(transfers)
    return {
        "clientCorrelationId": batch["requestId"],
        "batchId": batch["batchId"],
        "message": f"The Batch Aggregation API was complete with : {percent}",
    }


def _query(path):
    return {k: v[0] for k, v in parse_qs(urlsplit(path).query).items()}


def _multipart_part(content_type, body, name):
    """The bytes of form field ``name`` of a multipart/form-data body (no
    ``cgi`` module on Python 3.13)."""
    header = BytesHeaderParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace")
    )
    boundary = header.get_param("boundary")
    if header.get_content_type() != "multipart/form-data" or not boundary:
        return None
    for part in body.split(b"--" + boundary.encode())[1:-1]:
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        if disposition.get_param("name", header="content-disposition") == name:
            return content.removesuffix(b"\r\n")
    return None

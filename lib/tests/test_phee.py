# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import csv
import io
import json
import threading
import time
from collections import Counter
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from spp_payment_core import http, phee, states
from spp_payment_core.simulators.phee import PheeSimulator


def _row(key, payee="254712340000", amount="100", note=""):
    return phee.Row(key, "msisdn", payee, Decimal(amount), "KES", note=note)


def _cells(data):
    return list(csv.reader(io.StringIO(data.decode())))


# CSV and batches -------------------------------------------------------------------


def test_csv_columns_ids_and_amounts():
    rows = [_row("a", amount="100"), _row("b", "2547", "0.5", note='x, "y"')]
    header, first, second = _cells(phee.batch_csv(rows))
    assert tuple(header) == phee.BASE_COLUMNS and len(phee.BASE_COLUMNS) == 10
    assert first == ["0", "a", "gsma", "msisdn", "", "msisdn", "254712340000"] + [
        "100.00",
        "KES",
        "",
    ]
    assert (second[0], second[7], second[9]) == ("1", "0.50", 'x, "y"')


@pytest.mark.parametrize("amount", ["0", "-1", "0.001", "abc"])
def test_amount_refusals(amount):
    with pytest.raises(phee.PheeError):
        phee.amount_text(amount)


def test_line_breaks_are_refused():
    with pytest.raises(phee.PheeError, match="line break"):
        phee.batch_csv([_row("a", note="two\nlines")])


def _check_split(rows, batches, max_bytes):
    position = {id(row): n for n, row in enumerate(rows)}
    assert Counter(map(id, rows)) == Counter(id(r) for b in batches for r in b)
    holders = {}
    for number, batch in enumerate(batches):
        assert batch and len(phee.batch_csv(batch)) <= max_bytes
        indexes = [position[id(row)] for row in batch]
        assert indexes == sorted(indexes)
        keys = [phee.duplicate_key(row) for row in batch]
        assert len(keys) == len(set(keys))
        for key in keys:
            holders.setdefault(key, []).append(number)
    return holders


def test_split_by_size_keeps_order():
    rows = [_row(f"k{n}", f"2547{n:08d}") for n in range(40)]
    batches = phee.split_batches(rows, max_bytes=700)
    _check_split(rows, batches, 700)
    assert len(batches) > 2 and [r for b in batches for r in b] == rows


def test_split_by_duplicate_rule():
    rows = [_row("a"), _row("b", amount="100.00"), _row("c"), _row("d", "2547")]
    batches = phee.split_batches(rows)
    assert [[r.request_id for r in b] for b in batches] == [["a", "d"], ["b"], ["c"]]


def test_a_row_larger_than_a_file_is_refused():
    with pytest.raises(phee.PheeError, match="alone exceeds"):
        phee.split_batches([_row("a", note="x" * 200)], max_bytes=200)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 4), st.sampled_from(["1", "2.5"]), st.integers(0, 30)),
        max_size=60,
    ),
    st.integers(260, 900),
)
def test_split_properties(specs, max_bytes):
    rows = [
        _row(f"k{n}", f"25471234000{payee}", amount, note="n" * width)
        for n, (payee, amount, width) in enumerate(specs)
    ]
    holders = _check_split(rows, phee.split_batches(rows, max_bytes), max_bytes)
    assert all(numbers == sorted(set(numbers)) for numbers in holders.values())


def test_split_is_linear_for_100k_rows():
    rows = [_row(f"k{n}", f"2547{n % 50_000:08d}") for n in range(100_000)]
    started = time.monotonic()
    batches = phee.split_batches(rows)
    assert time.monotonic() - started < 10
    assert sum(map(len, batches)) == 100_000
    assert all(len(phee.batch_csv(b)) <= phee.MAX_CSV_BYTES for b in batches[:3])
    assert not any(len({phee.duplicate_key(r) for r in b}) < len(b) for b in batches)


# Requests and replies ------------------------------------------------------------


def test_token_request_and_reply():
    path, headers, form = phee.token_request("mifos", "password", "ibank-usa")
    assert path == "/oauth/token"
    assert headers == {
        "Authorization": "Basic Y2xpZW50Og==",
        "Platform-TenantId": "ibank-usa",
    }
    assert form["grant_type"] == "password" and form["username"] == "mifos"
    assert phee.parse_token(200, {"access_token": "t", "expires_in": "60"}) == (
        "t",
        60,
    )
    for status, body in ((401, {"error": "unauthorized"}), (200, {}), (200, None)):
        with pytest.raises(phee.PheeError):
            phee.parse_token(status, body)


def test_batch_headers():
    headers = phee.batch_headers(
        correlation_id="batch-1",
        tenant="t",
        filename="b.csv",
        purpose="CT",
        callback_url="http://cb",
        token="abc",
    )
    assert headers["Type"] == "csv" and headers["X-CorrelationID"] == "batch-1"
    assert headers["X-CallbackURL"] == headers["X-Callback-URL"] == "http://cb"
    assert headers["Authorization"] == "Bearer abc"
    bare = phee.batch_headers(
        correlation_id="b", tenant="t", filename="b.csv", purpose="CT"
    )
    assert not {"X-CallbackURL", "X-Callback-URL", "Authorization"} & set(bare)
    with pytest.raises(phee.PheeError, match="filename"):
        phee.batch_headers(correlation_id="b", tenant="t", filename="", purpose="CT")


def test_parse_batch_reply():
    polling = {"PollingPath": "/batch/Summary/abc-1", "SuggestedCallbackSeconds": "1"}
    assert phee.parse_batch_reply(202, polling) == "abc-1"
    assert phee.parse_batch_reply(202, {"batchId": "gs-1"}) == "gs-1"
    sic = {"Error Information: ": "File too big", "Error Description : ": "max"}
    with pytest.raises(phee.PheeError, match="File too big: max"):
        phee.parse_batch_reply(400, sic)
    plain = {"errorInformation": "No file", "errorDescription": "x", "errorCode": 400}
    with pytest.raises(phee.PheeError, match="No file"):
        phee.parse_batch_reply(400, plain)
    with pytest.raises(phee.PheeError, match="HTTP 202"):
        phee.parse_batch_reply(202, {})


def test_paths():
    assert phee.summary_path(request_id="a b") == "/api/v1/batch?requestId=a+b"
    assert phee.detail_path("x", 2, 50) == (
        "/api/v1/batch/detail?batchId=x&status=ALL&pageNo=2&pageSize=50"
    )
    with pytest.raises(phee.PheeError):
        phee.summary_path()


def test_parse_summary_detail_and_callback():
    summary = phee.parse_summary(
        {"batchId": "b", "requestId": "r", "status": "COMPLETED", "total": 2}
        | {"successful": 1, "failed": 1, "totalAmount": 10.5, "failedAmount": None}
    )
    assert summary.completed and summary.total_amount == Decimal("10.5")
    assert summary.failed_amount == Decimal(0)
    page = {
        "content": [
            {"clientCorrelationId": "a", "status": "COMPLETED", "transactionId": "t"}
            | {"amount": 10.5},
            {"clientCorrelationId": "b", "status": "FAILED", "statusDetail": "x"}
            | {"errorInformation": "no money"},
            {"clientCorrelationId": "c", "status": "WEIRD"},
            {
                "clientCorrelationId": "d",
                "status": "FAILED",
                "statusDetail": "REVERSED",
            },
        ],
        "totalPages": 3,
    }
    outcomes, pages = phee.parse_detail(page)
    assert pages == 3
    assert [(o.key, o.state) for o in outcomes] == [
        ("a", states.PAID),
        ("b", states.FAILED),
        ("c", states.UNKNOWN),
        ("d", states.REVERSED),
    ]
    assert outcomes[0].receipt == "t" and outcomes[0].amount == Decimal("10.5")
    assert outcomes[1].reason == "no money" and outcomes[2].raw_status == "WEIRD"
    assert outcomes[0].reason is None
    for bad in ({}, {"content": [{"status": "COMPLETED"}]}, None):
        with pytest.raises(phee.PheeError):
            phee.parse_detail(bad)
    message = "The Batch Aggregation API was complete with : 80"
    body = {"clientCorrelationId": "r", "batchId": "b", "message": message}
    assert phee.parse_callback(body) == ("b", "r", 80)
    assert phee.parse_callback({"batchId": "b"})[2] is None
    with pytest.raises(phee.PheeError):
        phee.parse_callback({"message": message})
    assert phee.missing_after_completion(["a", "z", "b"], outcomes, summary) == ["z"]
    pending = phee.parse_summary({"batchId": "b", "status": "Pending"})
    assert phee.missing_after_completion(["z"], outcomes, pending) == []


# Simulator -----------------------------------------------------------------------


@pytest.fixture
def sim():
    delivered = []
    simulator = PheeSimulator(
        deliver=lambda url, body, headers: delivered.append((url, body)) or 200
    )
    simulator.bodies = delivered
    with simulator:
        yield simulator


def _token(sim):
    path, headers, form = phee.token_request("mifos", "password", sim.tenant)
    return phee.parse_token(
        *http.call("POST", sim.base_url + path, headers=headers, data=form)
    )[0]


def _post(sim, rows=None, data=None, token=None, **overrides):
    headers = phee.batch_headers(
        correlation_id=overrides.pop("correlation_id", "batch-1"),
        tenant=sim.tenant,
        filename="batch-1.csv",
        purpose="CT",
        callback_url="http://127.0.0.1:1/phee",
        token=token or _token(sim),
    )
    headers.update(overrides)
    data = phee.batch_csv(rows) if data is None else data
    return http.call(
        "POST",
        sim.base_url + phee.BATCH_PATH,
        headers=headers,
        files={"data": ("batch-1.csv", data, "text/csv")},
        sleep=lambda seconds: None,
    )


def _detail(sim, batch_id, size=2):
    outcomes, page, pages = [], 0, 1
    while page < pages:
        path = phee.detail_path(batch_id, page, size)
        found, pages = phee.parse_detail(http.call("GET", sim.base_url + path)[1])
        outcomes += found
        page += 1
    return {o.key: o for o in outcomes}


ROWS = [
    _row("paid", "254712340000"),
    _row("broke", "254712340001"),
    _row("invalid", "254712340002"),
    _row("unknown", "254712340003"),
    _row("twice", "254712340000"),  # same payee, amount, currency as "paid"
]


def test_batch_end_to_end(sim):
    batch_id = phee.parse_batch_reply(*_post(sim, ROWS))
    summary = phee.parse_summary(
        http.call("GET", sim.base_url + phee.summary_path(request_id="batch-1"))[1]
    )
    assert summary.batch_id == batch_id and not summary.completed
    assert summary.ongoing == 4 and summary.failed == 1
    sim.settle()
    assert sim.flush() == [200]
    assert phee.parse_callback(sim.bodies[0][1]) == (batch_id, "batch-1", 100)
    path = phee.summary_path(batch_id=batch_id)
    summary = phee.parse_summary(http.call("GET", sim.base_url + path)[1])
    assert summary.completed and summary.total == 5 and summary.successful == 1
    assert summary.successful_amount == Decimal(100)
    outcomes = _detail(sim, batch_id)
    assert {key: o.state for key, o in outcomes.items()} == {
        "paid": states.PAID,
        "broke": states.FAILED,
        "invalid": states.FAILED,
        "unknown": states.UNKNOWN,
        "twice": states.FAILED,
    }
    assert outcomes["twice"].reason == "Duplicate transaction."
    assert outcomes["paid"].receipt and outcomes["paid"].amount == Decimal(100)
    assert phee.missing_after_completion([r.request_id for r in ROWS], [], summary)
    assert sim.violations == [] and sim.paid_twice() == []


def test_split_batches_pass_the_duplicate_rule(sim):
    for number, batch in enumerate(phee.split_batches(ROWS)):
        _post(sim, batch, correlation_id=f"b{number}")
    sim.settle()
    states_by_key = {}
    for batch_id in sim.batches:
        states_by_key |= {k: o.state for k, o in _detail(sim, batch_id).items()}
    assert states_by_key["twice"] == states_by_key["paid"] == states.PAID
    assert sim.violations == [] and sim.paid_twice() == []


def test_same_correlation_id_is_one_batch(sim):
    first = phee.parse_batch_reply(*_post(sim, ROWS[:1]))
    assert phee.parse_batch_reply(*_post(sim, ROWS[:1])) == first
    sim.settle()
    assert len(sim.batches) == 1 and sim.paid_twice() == []


def test_repost_after_no_answer_then_503(sim):
    token = _token(sim)
    sim.fail_next("drop")
    with pytest.raises(http.NoAnswer):
        _post(sim, ROWS[:1], token=token)
    lookup = phee.summary_path(request_id="batch-1")
    assert http.call("GET", sim.base_url + lookup)[0] == 404
    sim.fail_next(503)
    batch_id = phee.parse_batch_reply(*_post(sim, ROWS[:1], token=token))
    assert list(sim.batches) == [batch_id]


def test_refused_files(sim):
    big = phee.batch_csv([_row(f"k{n}", f"2547{n:08d}") for n in range(2000)])
    assert len(big) > phee.MAX_CSV_BYTES
    with pytest.raises(phee.PheeError, match="File too big"):
        phee.parse_batch_reply(*_post(sim, data=big))
    for data in (b"id,payee,amount\n0,x,1\n", phee.batch_csv([])):
        with pytest.raises(phee.PheeError, match="Invalid file structure"):
            phee.parse_batch_reply(*_post(sim, data=data))
    headers = {"Type": "csv", "X-CorrelationID": "x", "Platform-TenantId": sim.tenant}
    headers |= {
        "Purpose": "CT",
        "filename": "f",
        "Authorization": "Bearer " + _token(sim),
    }
    url = sim.base_url + phee.BATCH_PATH
    status, body = http.call("POST", url, headers=headers, files={"file": b"x"})
    with pytest.raises(phee.PheeError, match="File not uploaded"):
        phee.parse_batch_reply(status, body)
    bad_page = phee.detail_path("x", page=-1)
    assert http.call("GET", sim.base_url + bad_page)[0] == 400
    assert len(sim.violations) == 5 and not sim.batches


@pytest.mark.parametrize(
    "override", [{"Type": "raw"}, {"Platform-TenantId": ""}, {"Purpose": ""}]
)
def test_bad_headers_are_violations(sim, override):
    status, body = _post(sim, ROWS[:1], **override)
    assert status == 400 and sim.violations and not sim.batches
    with pytest.raises(phee.PheeError, match="Invalid request"):
        phee.parse_batch_reply(status, body)


def test_expired_and_wrong_tokens(sim):
    token = _token(sim)
    sim.expire_tokens()
    assert _post(sim, ROWS[:1], token=token)[0] == 401
    path, headers, form = phee.token_request("mifos", "wrong", sim.tenant)
    with pytest.raises(phee.PheeError, match="Bad credentials"):
        phee.parse_token(
            *http.call("POST", sim.base_url + path, headers=headers, data=form)
        )
    assert sim.violations == []
    assert phee.parse_batch_reply(*_post(sim, ROWS[:1]))


def test_callback_variants_and_reversal(sim):
    rows = [_row("dup", "254712340004"), _row("rev", "254712340006")]
    _post(sim, rows)
    _post(sim, [_row("lost", "254712340005")], correlation_id="batch-2")
    sim.settle()
    assert len(sim.flush()) == 2  # batch 1 twice, batch 2 never
    sim.settle()
    assert sim.flush() == []  # nothing moved: no new progress callback
    assert sim.reverse_completed() == ["rev"]
    batch_id = phee.parse_callback(sim.bodies[0][1])[0]
    outcomes = _detail(sim, batch_id)
    assert outcomes["rev"].state == states.REVERSED
    assert outcomes["dup"].state == states.PAID


def test_callback_reaches_a_real_receiver():
    with PheeSimulator() as simulator, _Receiver() as receiver:
        token = _token(simulator)
        headers = phee.batch_headers(
            correlation_id="c",
            tenant=simulator.tenant,
            filename="f.csv",
            purpose="CT",
            callback_url=receiver.url,
            token=token,
        )
        data = phee.batch_csv(ROWS[:1])
        files = {"data": ("f.csv", data, "text/csv")}
        url = simulator.base_url + phee.BATCH_PATH
        batch_id = phee.parse_batch_reply(
            *http.call("POST", url, headers=headers, files=files)
        )
        simulator.settle()
        assert simulator.flush() == [200]
    assert phee.parse_callback(receiver.bodies[0])[0] == batch_id


class _Receiver:
    """A one-route HTTP server on 127.0.0.1 recording JSON bodies."""

    def __enter__(self):
        bodies = self.bodies = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/phee"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

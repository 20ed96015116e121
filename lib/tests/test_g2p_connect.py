# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from decimal import Decimal

import pytest
from spp_payment_core import g2p_connect, http
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator

ITEMS = [
    g2p_connect.Item("PAY-1", Decimal("10"), "mobile:254700000000@mpesa", "Ann", "KES"),
    g2p_connect.Item(
        "PAY-2", Decimal("10.5"), "mobile:254700000002@mpesa", "Bo", "KES"
    ),
]


def _body(message_id="m-1", items=ITEMS, sender_uri="http://127.0.0.1:1/cb"):
    return g2p_connect.envelope(
        g2p_connect.header("disburse", message_id, "spp", len(items), sender_uri),
        g2p_connect.disburse_request(
            "T-1", items, payer_fa="account:1@bank", payer_name="MoSP", purpose="CT"
        ),
    )


def test_built_request_validates_and_amounts_are_strings():
    body = _body()
    assert g2p_connect.validate("/disburse", body) == []
    amounts = [d["amount"] for d in body["message"]["disbursements"]]
    assert amounts == ["10.00", "10.50"]


def test_spec_defects_are_corrected_and_errors_caught():
    body = _body()
    body["message"]["disbursements"][0]["amount"] = "10"
    body["message"]["disbursements"][1]["payee_fa"] = "no-provider"
    errors = " ".join(g2p_connect.validate("/disburse", body))
    assert "does not match" in errors
    assert "no-provider" in errors
    del body["message"]["disbursements"]
    assert "'disbursements' is a required property" in " ".join(
        g2p_connect.validate("/disburse", body)
    )
    wrong_action = _body()
    wrong_action["header"]["action"] = "search"
    assert any("action" in e for e in g2p_connect.validate("/disburse", wrong_action))


def _broken_bodies():
    """Bodies the spec refuses, one defect each."""
    edits = {
        "amount without cents": lambda b: b["message"]["disbursements"][0].update(
            amount="10"
        ),
        "address without provider": lambda b: b["message"]["disbursements"][1].update(
            payee_fa="no-provider"
        ),
        "no disbursements": lambda b: b["message"].pop("disbursements"),
        "no reference": lambda b: b["message"]["disbursements"][0].pop("reference_id"),
        "timestamp not a date-time": lambda b: b["header"].update(
            message_ts="yesterday"
        ),
        "no message id": lambda b: b["header"].pop("message_id"),
        "count not a number": lambda b: b["header"].update(total_count="two"),
    }
    for name, edit in edits.items():
        body = _body()
        edit(body)
        yield name, body


def test_compiled_schema_refuses_what_jsonschema_refuses():
    # The compiled check (what a valid message costs) and jsonschema (what
    # lists the errors) are the same schema: the compiled one never lets
    # through a message jsonschema refuses.
    pointer = "#/paths/~1disburse/post/requestBody/content/application~1json/schema"
    compiled = g2p_connect._compiled(pointer)
    assert compiled is not None, "fastjsonschema is in requirements.txt"
    assert compiled(_body())
    for name, body in _broken_bodies():
        message_errors = list(
            g2p_connect._validator("#/components/schemas/DisburseRequest").iter_errors(
                body["message"]
            )
        )
        body_errors = list(g2p_connect._validator(pointer).iter_errors(body))
        assert body_errors or message_errors, name
        assert not compiled(body), name
        assert g2p_connect.validate("/disburse", body), name


def test_ed25519_signature_round_trip():
    key = bytes(range(32))
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = (
        Ed25519PrivateKey.from_private_bytes(key)
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    body = g2p_connect.envelope(
        _body()["header"], _body()["message"], g2p_connect.ed25519_signer(key, "spp|k1")
    )
    content = g2p_connect.canonical(body["header"]) + g2p_connect.canonical(
        body["message"]
    )
    assert g2p_connect.verify_ed25519(body["signature"], content, public)
    assert not g2p_connect.verify_ed25519(body["signature"], content + b"x", public)


@pytest.fixture
def simulator():
    delivered = []
    sim = G2pConnectSimulator(
        max_seconds=60, deliver=lambda url, body, headers: delivered.append(body) or 200
    )
    sim.delivered_bodies = delivered
    with sim:
        yield sim


def _token(sim):
    status, answer = http.call(
        "POST",
        f"{sim.base_url}/oauth2/client/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "spp",
            "client_secret": "secret",
        },
    )
    assert status == 200
    return {"Authorization": f"Bearer {answer['access_token']}"}


def test_disburse_ack_callbacks_and_status(simulator):
    auth = _token(simulator)
    status, answer = http.call(
        "POST", f"{simulator.base_url}/disburse", json=_body(), headers=auth
    )
    assert status == 200
    assert g2p_connect.parse_ack(answer)[0] == "ACK"
    simulator.flush()
    pending, final = simulator.delivered_bodies
    assert [s.outcome for s in g2p_connect.parse_callback(pending)[1]] == [
        "processing",
        "processing",
    ]
    outcomes = {s.reference_id: s.outcome for s in g2p_connect.parse_callback(final)[1]}
    assert outcomes == {"PAY-1": "paid", "PAY-2": "rejected"}  # 0002: bad account
    query = g2p_connect.envelope(
        g2p_connect.header("txn-status", "q-1", "spp", 1),
        g2p_connect.txn_status_request("T-1", ["PAY-1", "PAY-9"]),
    )
    status, answer = http.call(
        "POST",
        f"{simulator.base_url}/disburse/sync/txn/status",
        json=query,
        headers=auth,
    )
    assert [s.reference_id for s in g2p_connect.parse_txn_status(answer)] == ["PAY-1"]
    assert simulator.violations == []


def test_same_message_twice_is_not_paid_twice(simulator):
    auth = _token(simulator)
    http.call("POST", f"{simulator.base_url}/disburse", json=_body(), headers=auth)
    _status, answer = http.call(
        "POST", f"{simulator.base_url}/disburse", json=_body(), headers=auth
    )
    status, _corr, code = g2p_connect.parse_ack(answer)
    assert (status, answer["message"]["error"]["message"]) == (
        "ERR",
        "rjct.message_id.duplicate",
    )
    assert simulator.paid_twice() == []


def test_faults_retry_and_no_answer(simulator):
    auth = _token(simulator)
    simulator.fail_next(503, 429)
    waits = []
    status, answer = http.call(
        "POST",
        f"{simulator.base_url}/disburse",
        json=_body(),
        headers=auth,
        sleep=waits.append,
    )
    assert status == 200 and waits == [1.0, 2.0]
    simulator.fail_next("drop")
    with pytest.raises(http.NoAnswer):
        http.call(
            "POST",
            f"{simulator.base_url}/disburse",
            json=_body("m-2"),
            headers=auth,
            timeout=5,
        )
    with pytest.raises(http.NotSent):
        http.call("POST", "http://127.0.0.1:9/disburse", json=_body("m-3"), timeout=5)


def test_invalid_request_is_refused_and_recorded(simulator):
    auth = _token(simulator)
    body = _body()
    body["message"]["disbursements"][0]["amount"] = "ten"
    _status, answer = http.call(
        "POST", f"{simulator.base_url}/disburse", json=body, headers=auth
    )
    assert g2p_connect.parse_ack(answer)[0] == "ERR"
    assert simulator.violations


def test_malformed_callback_is_refused():
    with pytest.raises(g2p_connect.G2pConnectError):
        g2p_connect.parse_callback({"header": {"action": "on-disburse"}})
    with pytest.raises(g2p_connect.G2pConnectError):
        g2p_connect.parse_callback(json.loads('{"message": {}}'))


def test_jws_signature_round_trip_and_tampering():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    body = g2p_connect.envelope(
        _body()["header"], _body()["message"], g2p_connect.jws_signer(private, "k1")
    )
    protected, payload, _signature = body["signature"].split(".")
    assert payload == ""  # detached: the message travels once, in the body
    content = g2p_connect.canonical(body["header"]) + g2p_connect.canonical(
        body["message"]
    )
    assert g2p_connect.verify_jws(body["signature"], content, public)
    assert not g2p_connect.verify_jws(body["signature"], content + b" ", public)
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    other_public = other.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert not g2p_connect.verify_jws(body["signature"], content, other_public)
    assert not g2p_connect.verify_jws("not-a-jws", content, public)
    assert g2p_connect.validate("/disburse", body) == []

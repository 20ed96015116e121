# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from decimal import Decimal

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from spp_payment_core import http, mpesa, states
from spp_payment_core.simulators.mpesa import MpesaSimulator

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PUBLIC_PEM = (
    KEY.public_key()
    .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    .decode()
)


def _config(password="Safaricom999!"):
    return mpesa.Config(
        shortcode="600999",
        initiator="spp",
        security_credential=mpesa.security_credential(password, PUBLIC_PEM),
        result_url="http://127.0.0.1:1/result",
        timeout_url="http://127.0.0.1:1/timeout",
    )


@pytest.fixture
def sim():
    delivered = []
    simulator = MpesaSimulator(
        KEY, deliver=lambda url, body, headers: delivered.append(body) or 200
    )
    simulator.bodies = delivered
    with simulator:
        yield simulator


def _token(sim):
    status, answer = http.call(
        "GET", sim.base_url + mpesa.TOKEN_PATH, auth=sim.consumer
    )
    assert status == 200
    return {"Authorization": f"Bearer {answer['access_token']}"}


def _pay(sim, auth, key, phone, amount=100, config=None):
    body = mpesa.b2c_request(config or _config(), key, amount, phone, "CT")
    return http.call("POST", sim.base_url + mpesa.B2C_PATH, json=body, headers=auth)


def test_request_rules():
    assert mpesa.msisdn("+254 712 345 678") == "254712345678"
    assert mpesa.msisdn("0712345678") == "254712345678"
    with pytest.raises(mpesa.MpesaError):
        mpesa.msisdn("+255712345678")
    with pytest.raises(mpesa.MpesaError, match="whole"):
        mpesa.whole_amount(Decimal("10.50"))
    assert mpesa.whole_amount(Decimal("10.00")) == 10


def test_paid_failed_and_duplicate(sim):
    auth = _token(sim)
    assert mpesa.parse_response(*_pay(sim, auth, "k1", "254712340000"))[0] == "accepted"
    assert mpesa.parse_response(*_pay(sim, auth, "k2", "254712340001"))[0] == "accepted"
    assert mpesa.parse_response(*_pay(sim, auth, "k3", "254712340002"))[0] == "accepted"
    again = mpesa.parse_response(*_pay(sim, auth, "k1", "254712340000"))
    assert again[0] == "duplicate"
    sim.flush()
    outcomes = [mpesa.parse_result(body) for body in sim.bodies]
    assert [(o.key, o.state) for o in outcomes] == [
        ("k1", states.PAID),
        ("k2", states.FAILED),
        ("k3", states.FAILED),
    ]
    assert outcomes[0].receipt and outcomes[0].amount == Decimal(100)
    assert outcomes[2].reason_code == "SFC_IC0003"
    assert sim.violations == [] and sim.paid_twice() == []


def test_wrong_credential_and_token_are_refused(sim):
    auth = _token(sim)
    status, answer = _pay(sim, auth, "k9", "254712340000", config=_config("wrong"))
    assert mpesa.parse_response(status, answer)[0] == "rejected"
    assert sim.violations
    status, answer = _pay(sim, {"Authorization": "Bearer nope"}, "k9", "254712340000")
    assert mpesa.parse_response(status, answer)[0] == "token"


def test_status_query_reports_lost_results_and_reversals(sim):
    auth = _token(sim)
    _pay(sim, auth, "lost", "254712340005")
    _pay(sim, auth, "rev", "254712340006")
    sim.flush()
    sim.bodies.clear()
    for key in ("lost", "rev", "never-sent"):
        http.call(
            "POST",
            sim.base_url + mpesa.STATUS_PATH,
            json=mpesa.status_request(_config(), key),
            headers=auth,
        )
    sim.flush()
    outcomes = {o.key: o.state for o in map(mpesa.parse_result, sim.bodies)}
    assert outcomes == {
        "lost": states.PAID,
        "rev": states.REVERSED,
        "never-sent": states.FAILED,
    }


def test_timeout_notification_and_malformed_result():
    timeout = {"Result": {"ResultCode": 1, "OriginatorConversationID": "k"}}
    assert mpesa.parse_result(timeout, "timeout").state == states.UNKNOWN
    with pytest.raises(mpesa.MpesaError):
        mpesa.parse_result({"Body": {}})

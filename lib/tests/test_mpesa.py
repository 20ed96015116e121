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
    # A status query Daraja cannot answer is not evidence the payment failed.
    assert outcomes == {
        "lost": states.PAID,
        "rev": states.REVERSED,
        "never-sent": states.UNKNOWN,
    }


def test_timeout_notification_and_malformed_result():
    timeout = {"Result": {"ResultCode": 1, "OriginatorConversationID": "k"}}
    assert mpesa.parse_result(timeout, "timeout").state == states.UNKNOWN
    with pytest.raises(mpesa.MpesaError):
        mpesa.parse_result({"Body": {}})


def test_duplicate_code_is_a_duplicate_only_when_its_message_says_so():
    """Daraja sends 500.002.1001 for a duplicate OriginatorConversationID and
    for generic server errors: only the first is an acceptance."""
    duplicate = {
        "errorCode": "500.002.1001",
        "errorMessage": "Duplicate OriginatorConversationID.",
    }
    assert mpesa.parse_response(500, duplicate)[0] == "duplicate"
    for message in ("Server Error", "Service is currently under maintenance", ""):
        server = {"errorCode": "500.002.1001", "errorMessage": message}
        assert mpesa.parse_response(500, server)[0] == "unknown"


@pytest.mark.parametrize(
    ("status", "code", "verdict"),
    [
        (400, "400.002.02", "rejected"),
        (400, "400.002.05", "rejected"),
        (401, "404.001.03", "token"),
        (401, "401.002.01", "token"),
        (500, "500.003.02", "throttled"),
        (500, "500.003.03", "throttled"),
        (500, "500.001.1001", "unknown"),
        (500, "500.003.1001", "unknown"),
        (400, "400.999.99", "unknown"),  # unmapped: never read as a refusal
        (503, "", "unknown"),
        (400, "", "rejected"),
    ],
)
def test_every_daraja_error_code_has_its_documented_meaning(status, code, verdict):
    body = {"errorCode": code, "errorMessage": "x"} if code else {}
    assert mpesa.parse_response(status, body)[0] == verdict


def test_non_zero_status_result_leaves_the_payment_unknown():
    result = {
        "Result": {
            "ResultType": 0,
            "ResultCode": "SFC_IC0003",
            "ResultDesc": "Receiver party is invalid",
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": "k"}},
        }
    }
    outcome = mpesa.parse_result(result)
    assert (outcome.key, outcome.state) == ("k", states.UNKNOWN)
    assert outcome.raw_status == "status query SFC_IC0003"


def test_completed_status_reports_its_amount():
    result = {
        "Result": {
            "ResultCode": 0,
            "ResultParameters": {
                "ResultParameter": [
                    {"Key": "TransactionStatus", "Value": "Completed"},
                    {"Key": "ReceiptNo", "Value": "R1"},
                    {"Key": "Amount", "Value": 130},
                ]
            },
            "ReferenceData": {"ReferenceItem": {"Key": "Occasion", "Value": "k"}},
        }
    }
    outcome = mpesa.parse_result(result)
    assert (outcome.state, outcome.amount) == (states.PAID, Decimal(130))


def test_unmapped_result_code_is_unknown_never_failed():
    result = {"Result": {"ResultCode": 9999, "OriginatorConversationID": "k"}}
    assert mpesa.parse_result(result).state == states.UNKNOWN


def test_simulated_generic_server_error_is_unknown_and_a_late_success_is_sent(sim):
    auth = _token(sim)
    sim.server_errors = [False]
    body = mpesa.b2c_request(_config(), "k5", 100, "254712340000", "CT")
    answer = http.call(
        "POST", sim.base_url + mpesa.B2C_PATH, json=body, headers=auth, attempts=1
    )
    verdict, detail = mpesa.parse_response(*answer)
    assert verdict == "unknown" and "maintenance" in detail
    assert mpesa.parse_response(*_pay(sim, auth, "k6", "254712340001"))[0] == "accepted"
    sim.flush()
    sim.bodies.clear()
    receipt = sim.late_success("k6")
    sim.flush()
    (late,) = [mpesa.parse_result(body) for body in sim.bodies]
    assert (late.key, late.state, late.receipt) == ("k6", states.PAID, receipt)


# Daraja's documented AccountBalance Result (Account Balance API, "Result"),
# as Safaricom's own sample prints it: not written by this suite.
DARAJA_BALANCE_SAMPLE = {
    "Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": "16917-22577599-3",
        "ConversationID": "AG_20200206_00005e091a8ec6b9eac5",
        "TransactionID": "OA90000000",
        "ResultParameters": {
            "ResultParameter": [
                {
                    "Key": "AccountBalance",
                    "Value": "Working Account|KES|700000.00|700000.00|0.00|0.00"
                    "&Float Account|KES|0.00|0.00|0.00|0.00"
                    "&Utility Account|KES|228037.00|228037.00|0.00|0.00"
                    "&Charges Paid Account|KES|-1540.00|-1540.00|0.00|0.00"
                    "&Organization Settlement Account|KES|0.00|0.00|0.00|0.00",
                },
                {"Key": "BOCompletedTime", "Value": 20200109125710},
            ]
        },
        "ReferenceData": {
            "ReferenceItem": {
                "Key": "QueueTimeoutURL",
                "Value": "https://internalsandbox.safaricom.co.ke/mpesa/abresults/v1/submit",
            }
        },
    }
}


def test_balance_result_of_daraja_sample_reads_the_utility_account_exactly():
    balance = mpesa.parse_balance_result(DARAJA_BALANCE_SAMPLE)
    assert balance.amount == Decimal("228037.00")
    assert balance.currency == "KES"
    assert balance.account == "Utility Account"
    # 12:57:10 in Nairobi (UTC+3)
    assert balance.completed.isoformat() == "2020-01-09T09:57:10"
    working = mpesa.parse_balance_result(DARAJA_BALANCE_SAMPLE, "Working Account")
    assert working.amount == Decimal("700000.00")


def test_balance_result_takes_the_available_field_and_refuses_bad_ones():
    sample = {
        "Result": {
            "ResultCode": 0,
            "ResultParameters": {
                "ResultParameter": {
                    "Key": "AccountBalance",
                    "Value": "Utility Account|KES|1000.10|900.05|100.05|0.00",
                }
            },
        }
    }
    assert mpesa.parse_balance_result(sample).amount == Decimal("900.05")
    with pytest.raises(mpesa.MpesaError, match="Working Account"):
        mpesa.parse_balance_result(sample, "Working Account")
    for value in ("Utility Account|KES|1|2", "Utility Account|KES|1|x|0|0", ""):
        sample["Result"]["ResultParameters"]["ResultParameter"]["Value"] = value
        with pytest.raises(mpesa.MpesaError):
            mpesa.parse_balance_result(sample)
    with pytest.raises(mpesa.MpesaError):
        mpesa.parse_balance_result({"Body": {}})


def test_failed_and_timed_out_balance_queries_report_no_amount():
    failed = {"Result": {"ResultCode": 2001, "ResultDesc": "The initiator is bad."}}
    balance = mpesa.parse_balance_result(failed)
    assert balance.amount is None
    assert balance.reason == "2001 The initiator is bad."
    timeout = mpesa.parse_balance_result(failed, kind="timeout")
    assert timeout.amount is None and timeout.reason.startswith("queue timeout")


def test_simulated_account_balance_is_acknowledged_then_answered_by_callback(sim):
    auth = _token(sim)
    sim.accounts["Utility Account"] = ("5000.00", "4321.50")
    status, answer = http.call(
        "POST",
        sim.base_url + mpesa.BALANCE_PATH,
        json=mpesa.balance_request(_config()),
        headers=auth,
    )
    assert mpesa.parse_response(status, answer)[0] == "accepted"
    assert sim.bodies == []
    sim.flush()
    (result,) = sim.bodies
    assert result["Result"]["ConversationID"] == answer["ConversationID"]
    assert mpesa.parse_balance_result(result).amount == Decimal("4321.50")
    sim.balance_faults.append("fail")
    http.call(
        "POST",
        sim.base_url + mpesa.BALANCE_PATH,
        json=mpesa.balance_request(_config()),
        headers=auth,
    )
    sim.flush()
    assert mpesa.parse_balance_result(sim.bodies[-1]).amount is None
    # A wrong credential is refused at once.
    status, _answer = http.call(
        "POST",
        sim.base_url + mpesa.BALANCE_PATH,
        json=mpesa.balance_request(_config("wrong")),
        headers=auth,
    )
    assert status == 400
    assert sim.violations

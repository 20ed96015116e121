# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from spp_payment_core import iso20022
from spp_payment_core.iso20022 import Debtor, Iso20022Error, Transfer

XSD = Path(__file__).resolve().parents[2] / "addons/spp_payment_file/data/iso20022"
DATA = Path(__file__).parent / "data"
DEBTOR = Debtor("Ministry & Co <Social>", "KE12ABCD00000000001234567", "ABCDKENAXXX")
TRANSFERS = [
    Transfer("PAY-1", Decimal("10.005"), "KES", "Ann <O'Neil> & sons", "+254700000001"),
    Transfer(
        "PAY-2",
        Decimal("0.1") + Decimal("0.2"),
        "KES",
        "Bo",
        "DE89370400440532013000",
        "COBADEFFXXX",
        "Cycle 2026-11",
    ),
]


def _pain001(version, **kwargs):
    out = io.StringIO()
    iso20022.write_pain001(
        out,
        kwargs.pop("transfers", TRANSFERS),
        version=version,
        msg_id="SPP-TEST-1",
        created=datetime(2026, 11, 23, 10, 0, 0, 123),
        debtor=kwargs.pop("debtor", DEBTOR),
        execution_date=date(2026, 11, 24),
        category_purpose="SSBE",
        batch_booking=True,
        currency="KES",
    )
    return out.getvalue().encode()


@pytest.mark.parametrize("version", iso20022.PAIN001_VERSIONS)
def test_pain001_validates_against_the_official_xsd(version):
    content = _pain001(version)
    assert iso20022.validate(content, XSD / f"{version}.xsd") == []
    text = content.decode()
    assert "<CtrlSum>10.31</CtrlSum>" in text  # 10.01 + 0.30, exact
    assert "<NbOfTxs>2</NbOfTxs>" in text
    assert "<EndToEndId>PAY-1</EndToEndId>" in text
    assert "Ann &lt;O'Neil&gt; &amp; sons" in text
    assert "<IBAN>DE89370400440532013000</IBAN>" in text
    assert "<Othr><Id>+254700000001</Id></Othr>" in text


def test_pain001_without_debtor_bic_still_validates():
    debtor = Debtor("Ministry", "ACCOUNT-1")
    for version in iso20022.PAIN001_VERSIONS:
        content = _pain001(version, debtor=debtor)
        assert iso20022.validate(content, XSD / f"{version}.xsd") == []


def test_tampered_pain001_fails_validation():
    content = _pain001("pain.001.001.03").replace(b"<PmtMtd>TRF", b"<PmtMtd>CHQX")
    assert iso20022.validate(content, XSD / "pain.001.001.03.xsd")


def test_pain001_refuses_nothing_to_pay_and_unknown_version():
    with pytest.raises(ValueError, match="at least one"):
        _pain001("pain.001.001.03", transfers=[])
    with pytest.raises(ValueError, match="unsupported"):
        _pain001("pain.001.001.99")


def test_official_pain002_sample():
    report = iso20022.parse_pain002((DATA / "pain.002-unpaid-sample.xml").read_bytes())
    assert report.original_msg_id == "MSGID12345678912"
    assert [i.status for i in report.items] == ["RJCT"] * len(report.items)
    assert report.items[0].end_to_end_id == "E2EID1"
    assert report.items[0].reason_code == "AC01"
    assert report.items[0].outcome == "rejected"


def test_official_camt054_sample():
    notes = iso20022.parse_camt054((DATA / "camt.054-unpaid-sample.xml").read_bytes())
    assert notes[0].end_to_end_id == "E2EID1"
    assert notes[0].amount == Decimal("100.00")
    assert notes[0].reason_code == "AC06"
    assert notes[0].outcome == "reversed"


PAIN002 = b"""<?xml version="1.0"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">
 <CstmrPmtStsRpt><GrpHdr><MsgId>R1</MsgId></GrpHdr>
  <OrgnlGrpInfAndSts><OrgnlMsgId>SPP-1</OrgnlMsgId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>
  <OrgnlPmtInfAndSts><OrgnlPmtInfId>SPP-1</OrgnlPmtInfId>
   <TxInfAndSts><OrgnlEndToEndId>PAY-1</OrgnlEndToEndId><TxSts>ACSC</TxSts>
    <OrgnlTxRef><Amt><InstdAmt Ccy="KES">10.01</InstdAmt></Amt></OrgnlTxRef>
   </TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>PAY-2</OrgnlEndToEndId><TxSts>RJCT</TxSts>
    <StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>PAY-3</OrgnlEndToEndId><TxSts>RJCT</TxSts>
    <StsRsnInf><Rsn><Cd>MD07</Cd></Rsn></StsRsnInf></TxInfAndSts>
   <TxInfAndSts><OrgnlEndToEndId>PAY-4</OrgnlEndToEndId><TxSts>PDNG</TxSts></TxInfAndSts>
  </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"""


def test_pain002_statuses_map_to_outcomes():
    report = iso20022.parse_pain002(PAIN002)
    assert report.group_status == "PART"
    assert [(i.end_to_end_id, i.outcome, i.reason_code) for i in report.items] == [
        ("PAY-1", "paid", None),
        ("PAY-2", "failed", "AM04"),
        ("PAY-3", "rejected", "MD07"),
        ("PAY-4", "processing", None),
    ]
    assert report.items[0].amount == Decimal("10.01")
    assert report.items[2].reason_text == "end customer deceased"


CAMT054 = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId></GrpHdr><Ntfctn>
 <Ntry><Amt Ccy="KES">10.01</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
  <BookgDt><Dt>2026-11-25</Dt></BookgDt>
  <NtryDtls><TxDtls><Refs><EndToEndId>PAY-1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
 <Ntry><Amt Ccy="KES">0.30</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
  <NtryDtls><TxDtls><Refs><EndToEndId>PAY-2</EndToEndId></Refs>
   <RtrInf><Rsn><Cd>MD07</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def test_camt054_booked_debit_is_paid_and_return_is_reversed():
    paid, returned = iso20022.parse_camt054(CAMT054)
    assert (paid.end_to_end_id, paid.outcome, paid.amount) == (
        "PAY-1",
        "paid",
        Decimal("10.01"),
    )
    assert paid.booking_date == date(2026, 11, 25)
    assert (returned.outcome, returned.reason_code) == ("reversed", "MD07")


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG junk",
        b"",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><Document>&b;</Document>',
    ],
)
def test_junk_and_entity_bombs_are_refused(data):
    with pytest.raises(Iso20022Error):
        iso20022.parse_pain002(data)


def test_wrong_document_type_is_refused():
    with pytest.raises(Iso20022Error, match="not a BkToCstmrDbtCdtNtfctn"):
        iso20022.parse_camt054(PAIN002)

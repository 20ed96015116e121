# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import io
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from lxml import etree
from spp_payment_core import iso20022
from spp_payment_core.iso20022 import Debtor, Iso20022Error, Transfer

XSD = Path(__file__).resolve().parents[2] / "addons/spp_payment_file/data/iso20022"
DATA = Path(__file__).parent / "data"
V03, V09 = iso20022.PAIN001_VERSIONS
DEBTOR = Debtor("Ministry & Co <Social>", "KE12ABCD00000000001234567", "ABCDKENAXXX")
TRANSFERS = [
    Transfer("PAY-1", Decimal("10.005"), "KES", "Ann <O'Neil> & sons", "+254700000001"),
    Transfer(
        "PAY-2",
        Decimal("0.1") + Decimal("0.2"),
        "KES",
        "Bo",
        "DE89 3704 0044 0532 0130 00",
        "COBADEFFXXX",
        "Cycle 2026-11",
    ),
]


def _pain001(version, transfers=TRANSFERS, **kwargs):
    out = io.StringIO()
    options = {
        "version": version,
        "msg_id": "SPP-TEST-1",
        "created": datetime(2026, 11, 23, 10, 0, 0, 123),
        "debtor": DEBTOR,
        "execution_date": date(2026, 11, 24),
        "category_purpose": "SSBE",
        "batch_booking": True,
        "currency": "KES",
    }
    options.update(kwargs)
    iso20022.write_pain001(out, transfers, **options)
    return out.getvalue().encode()


def _tree(content):
    return etree.fromstring(content)


def _texts(content, local_name):
    return [
        e.text for e in _tree(content).iter() if etree.QName(e).localname == local_name
    ]


# pain.001 ----------------------------------------------------------------------


@pytest.mark.parametrize("version", iso20022.PAIN001_VERSIONS)
def test_pain001_validates_against_the_official_xsd(version):
    content = _pain001(version)
    assert iso20022.validate(content, XSD / f"{version}.xsd") == []
    text = content.decode()
    assert text.count("<CtrlSum>10.31</CtrlSum>") == 2  # 10.01 + 0.30, exact
    assert text.count("<NbOfTxs>2</NbOfTxs>") == 2
    assert "<MsgId>SPP-TEST-1</MsgId>" in text
    assert "<PmtInfId>SPP-TEST-1</PmtInfId>" in text
    assert "<CreDtTm>2026-11-23T10:00:00</CreDtTm>" in text
    assert "<InstrId>PAY-1</InstrId><EndToEndId>PAY-1</EndToEndId>" in text
    assert '<InstdAmt Ccy="KES">10.01</InstdAmt>' in text
    assert "<IBAN>DE89370400440532013000</IBAN>" in text
    assert "<Othr><Id>+254700000001</Id></Othr>" in text
    assert "<PmtTpInf><CtgyPurp><Cd>SSBE</Cd></CtgyPurp></PmtTpInf>" in text
    assert text.count("<Purp><Cd>SSBE</Cd></Purp>") == 2
    assert "<RmtInf><Ustrd>Cycle 2026-11</Ustrd></RmtInf>" in text
    assert "<ChrgBr>SLEV</ChrgBr>" in text
    assert "<BtchBookg>true</BtchBookg>" in text


def test_pain001_version_differences():
    old, new = _pain001(V03).decode(), _pain001(V09).decode()
    assert "<ReqdExctnDt>2026-11-24</ReqdExctnDt>" in old
    assert "<ReqdExctnDt><Dt>2026-11-24</Dt></ReqdExctnDt>" in new
    assert "<BIC>COBADEFFXXX</BIC>" in old and "BICFI" not in old
    assert "<BICFI>COBADEFFXXX</BICFI>" in new and "<BIC>" not in new
    assert f"xsd:{V03}" in old and f"xsd:{V09}" in new


def test_pain001_escapes_markup_in_names():
    content = _pain001(V03)
    text = content.decode()
    assert "Ann &lt;O'Neil&gt; &amp; sons" in text
    assert "<Nm>Ministry &amp; Co &lt;Social&gt;</Nm>" in text
    assert "Ann <O'Neil> & sons" in _texts(content, "Nm")


def test_pain001_control_sum_is_the_exact_decimal_sum():
    transfers = [
        Transfer(f"P{i}", Decimal(i) / 7, "KES", f"N{i}", f"A{i}")
        for i in range(1, 500)
    ]
    content = _pain001(V09, transfers)
    assert iso20022.validate(content, XSD / f"{V09}.xsd") == []
    expected = sum(
        (t.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) for t in transfers),
        Decimal(0),
    )
    sums = {Decimal(s) for s in _texts(content, "CtrlSum")}
    assert sums == {expected}
    assert str(expected) == f"{expected:.2f}"
    amounts = [Decimal(a) for a in _texts(content, "InstdAmt")]
    assert sum(amounts) == expected
    assert _texts(content, "NbOfTxs") == ["499", "499"]


@pytest.mark.parametrize("version", iso20022.PAIN001_VERSIONS)
@pytest.mark.parametrize(
    ("currency", "places", "amounts", "written", "total"),
    [
        ("JPY", 0, ["127", "152"], ["127", "152"], "279"),
        ("KWD", 3, ["1.005", "2.250"], ["1.005", "2.250"], "3.255"),
    ],
)
def test_pain001_writes_the_currency_decimals(
    version, currency, places, amounts, written, total
):
    transfers = [
        Transfer(f"P{i}", Decimal(a), currency, f"N{i}", f"A{i}")
        for i, a in enumerate(amounts)
    ]
    content = _pain001(version, transfers, currency=currency, decimal_places=places)
    assert iso20022.validate(content, XSD / f"{version}.xsd") == []
    assert _texts(content, "InstdAmt") == written
    assert set(_texts(content, "CtrlSum")) == {total}
    ccy = {
        e.get("Ccy")
        for e in _tree(content).iter()
        if etree.QName(e).localname == "InstdAmt"
    }
    assert ccy == {currency}


def test_pain001_without_debtor_bic_or_purpose_still_validates():
    debtor = Debtor("Ministry", "ACCOUNT-1")
    for version in iso20022.PAIN001_VERSIONS:
        content = _pain001(version, debtor=debtor, category_purpose=None)
        assert iso20022.validate(content, XSD / f"{version}.xsd") == []
        text = content.decode()
        assert "<DbtrAgt><FinInstnId><Othr><Id>NOTPROVIDED</Id>" in text
        assert "<InitgPty><Nm>Ministry</Nm></InitgPty>" in text
        assert "PmtTpInf" not in text and "Purp" not in text


def test_pain001_accepts_any_iterable_and_cleans_control_characters():
    transfers = (
        Transfer("P1", Decimal("1"), "", "Line\nbreak\x00name", "ACC-1", None, "a\tb"),
    )
    content = _pain001(V03, iter(transfers))
    assert iso20022.validate(content, XSD / f"{V03}.xsd") == []
    assert '<InstdAmt Ccy="KES">1.00</InstdAmt>' in content.decode()  # file currency
    assert "Line break name" in _texts(content, "Nm")


def test_pain001_truncates_free_text_to_140():
    long = "x" * 200
    transfer = Transfer("P1", Decimal(5), "KES", long, "ACC", None, long)
    content = _pain001(V09, [transfer])
    assert iso20022.validate(content, XSD / f"{V09}.xsd") == []
    assert _texts(content, "Ustrd") == ["x" * 140]
    assert "x" * 140 in _texts(content, "Nm")


@pytest.mark.parametrize(
    ("transfers", "kwargs", "message"),
    [
        ([], {}, "at least one"),
        (TRANSFERS, {"version": "pain.001.001.99"}, "unsupported"),
        (TRANSFERS, {"msg_id": "M" * 36}, "MsgId"),
        (TRANSFERS * 2, {}, "appears twice"),
        ([Transfer("P" * 36, Decimal(1), "KES", "A", "B")], {}, "EndToEndId"),
        ([Transfer("P1", Decimal(0), "KES", "A", "B")], {}, "not above zero"),
        ([Transfer("P1", Decimal(-1), "KES", "A", "B")], {}, "not above zero"),
        ([Transfer("P1", Decimal(1), "kes", "A", "B")], {}, "currency"),
        ([Transfer("P1", Decimal(1), "KES", "A", "B" * 35)], {}, "account"),
        ([Transfer("P1", Decimal(1), "KES", " ", "B")], {}, "no name"),
        ([Transfer("P1", Decimal(1), "KES", "A", "B", "NOT A BIC")], {}, "BIC"),
    ],
)
def test_pain001_refuses_unfit_values(transfers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        _pain001(kwargs.pop("version", V03), transfers, **kwargs)


@pytest.mark.parametrize(
    ("version", "before", "after"),
    [
        (V03, b"<PmtMtd>TRF", b"<PmtMtd>CHQX"),
        (  # element order
            V03,
            b"<PmtMtd>TRF</PmtMtd><BtchBookg>true</BtchBookg>",
            b"<BtchBookg>true</BtchBookg><PmtMtd>TRF</PmtMtd>",
        ),
        (V09, b"<ReqdExctnDt><Dt>2026-11-24</Dt></ReqdExctnDt>", b""),
        (V09, b"<BICFI>COBADEFFXXX", b"<BIC>COBADEFFXXX"),
        (V03, b'Ccy="KES">10.01<', b'Ccy="KES">ten<'),
    ],
)
def test_tampered_pain001_fails_validation(version, before, after):
    content = _pain001(version)
    assert before in content
    tampered = content.replace(before, after, 1)
    errors = iso20022.validate(tampered, XSD / f"{version}.xsd")
    assert errors and all(isinstance(e, str) for e in errors)


def test_validate_reports_non_xml():
    assert iso20022.validate(b"not xml", XSD / f"{V03}.xsd")[0].startswith(
        "not well-formed"
    )


# pain.002 ----------------------------------------------------------------------


def test_official_pain002_sample():
    report = iso20022.parse_pain002((DATA / "pain.002-unpaid-sample.xml").read_bytes())
    assert report.msg_id == "MSGID99345678912"
    assert report.original_msg_id == "MSGID12345678912"
    assert report.group_status is None
    assert [p.pmt_inf_id for p in report.payment_info_statuses] == [
        "PMTINFID1",
        "PMTINFID2",
    ]
    assert len(report.items) == 4
    assert {i.status for i in report.items} == {"RJCT"}
    first = report.items[0]
    assert (first.end_to_end_id, first.reason_code, first.outcome) == (
        "E2EID1",
        "AC01",
        "rejected",
    )
    assert first.reason_text == "ACC NUMBER INVALID"
    assert first.amount == Decimal("100")


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
    assert (report.msg_id, report.original_msg_id, report.group_status) == (
        "R1",
        "SPP-1",
        "PART",
    )
    assert [(i.end_to_end_id, i.outcome, i.reason_code) for i in report.items] == [
        ("PAY-1", "paid", None),
        ("PAY-2", "failed", "AM04"),
        ("PAY-3", "rejected", iso20022.DECEASED),
        ("PAY-4", "processing", None),
    ]
    assert report.items[0].amount == Decimal("10.01")
    assert report.items[1].reason_text == "insufficient funds"
    assert report.items[2].reason_text == "end customer deceased"


def test_pain002_whole_file_rejections_name_no_items():
    group = iso20022.parse_pain002(
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03">'
        b"<CstmrPmtStsRpt><GrpHdr><MsgId>R2</MsgId></GrpHdr><OrgnlGrpInfAndSts>"
        b"<OrgnlMsgId>SPP-2</OrgnlMsgId><GrpSts>RJCT</GrpSts>"
        b"<StsRsnInf><Rsn><Cd>FF01</Cd></Rsn></StsRsnInf>"
        b"</OrgnlGrpInfAndSts></CstmrPmtStsRpt></Document>"
    )
    assert (group.group_status, group.items) == ("RJCT", [])
    assert (group.group_reason_code, group.group_reason_text) == (
        "FF01",
        "invalid file format",
    )
    block = iso20022.parse_pain002(
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
        b"<CstmrPmtStsRpt><GrpHdr><MsgId>R3</MsgId></GrpHdr>"
        b"<OrgnlGrpInfAndSts><OrgnlMsgId>SPP-3</OrgnlMsgId></OrgnlGrpInfAndSts>"
        b"<OrgnlPmtInfAndSts><OrgnlPmtInfId>SPP-3</OrgnlPmtInfId>"
        b"<PmtInfSts>RJCT</PmtInfSts><StsRsnInf><Rsn><Prtry>X1</Prtry></Rsn>"
        b"<AddtlInf>debtor account</AddtlInf><AddtlInf>unfunded</AddtlInf></StsRsnInf>"
        b"</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    assert block.items == []
    assert block.payment_info_statuses == [
        iso20022.PaymentInfoStatus("SPP-3", "RJCT", "X1", "debtor account unfunded")
    ]


def test_pain002_transaction_without_status_takes_its_block_status():
    report = iso20022.parse_pain002(
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.10">'
        b"<CstmrPmtStsRpt><GrpHdr><MsgId>R4</MsgId></GrpHdr>"
        b"<OrgnlPmtInfAndSts><OrgnlPmtInfId>B</OrgnlPmtInfId><PmtInfSts>ACSC</PmtInfSts>"
        b"<TxInfAndSts><OrgnlEndToEndId>PAY-9</OrgnlEndToEndId></TxInfAndSts>"
        b"</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
    assert [(i.end_to_end_id, i.status, i.outcome) for i in report.items] == [
        ("PAY-9", "ACSC", "paid")
    ]


@pytest.mark.parametrize(
    ("status", "reason", "outcome"),
    [
        ("RCVD", None, "accepted"),
        ("ACTC", None, "accepted"),
        ("ACCP", None, "accepted"),
        ("ACWC", None, "accepted"),
        ("PDNG", None, "processing"),
        ("ACSP", None, "processing"),
        ("ACSC", None, "paid"),
        ("ACCC", None, "paid"),
        ("RJCT", "AM04", "failed"),
        ("RJCT", "TECH", "failed"),
        ("RJCT", "MS03", "failed"),
        ("RJCT", "AC01", "rejected"),
        ("RJCT", "MD07", "rejected"),
        ("RJCT", None, "rejected"),
        ("XXXX", None, None),
        (None, None, None),
    ],
)
def test_status_outcome(status, reason, outcome):
    assert iso20022.status_outcome(status, reason) == outcome


def test_reason_texts():
    codes = "AC01 AC04 AC06 RC01 AM04 AM05 DUPL MD07 BE04 AG01 FF01 MS02 MS03 TECH"
    assert set((codes + " RR04 MD06 AC03").split()) <= set(iso20022.REASON_TEXT)
    assert iso20022.DECEASED == "MD07"


# camt.054 ----------------------------------------------------------------------


def test_official_camt054_sample():
    notes = iso20022.parse_camt054((DATA / "camt.054-unpaid-sample.xml").read_bytes())
    assert len(notes) == 1
    note = notes[0]
    assert (note.end_to_end_id, note.amount, note.currency) == (
        "E2EID1",
        Decimal("100.00"),
        "EUR",
    )
    assert (note.credit_debit, note.status) == ("DBIT", "BOOK")
    assert note.booking_date == date(2016, 10, 8)
    assert (note.reason_code, note.reason_text) == ("AC06", "/RTYP/RTRN")
    # A returned direct debit on the collecting account: not a payout outcome.
    assert note.outcome is None


CAMT054 = b"""<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08">
<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N1</MsgId></GrpHdr><Ntfctn>
 <Ntry><Amt Ccy="KES">10.01</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
  <BookgDt><Dt>2026-11-25</Dt></BookgDt>
  <NtryDtls><TxDtls><Refs><EndToEndId>PAY-1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>
 <Ntry><Amt Ccy="KES">0.30</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts>
  <BookgDt><DtTm>2026-11-26T08:00:00</DtTm></BookgDt>
  <NtryDtls><TxDtls><Refs><EndToEndId>PAY-2</EndToEndId></Refs>
   <RtrInf><Rsn><Cd>MD07</Cd></Rsn></RtrInf></TxDtls></NtryDtls></Ntry>
 <Ntry><Amt Ccy="KES">30.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>PDNG</Sts>
  <NtryDtls>
   <TxDtls><Refs><EndToEndId>PAY-3</EndToEndId></Refs>
    <AmtDtls><TxAmt><Amt Ccy="KES">12.50</Amt></TxAmt></AmtDtls></TxDtls>
   <TxDtls><Refs><EndToEndId>PAY-4</EndToEndId></Refs></TxDtls>
  </NtryDtls></Ntry>
 <Ntry><Amt Ccy="KES">5.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>INFO</Sts></Ntry>
</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"""


def test_camt054_booked_debit_is_paid_and_returned_credit_is_reversed():
    paid, returned, pending, batched, info = iso20022.parse_camt054(CAMT054)
    assert (paid.end_to_end_id, paid.outcome, paid.amount, paid.currency) == (
        "PAY-1",
        "paid",
        Decimal("10.01"),
        "KES",
    )
    assert paid.booking_date == date(2026, 11, 25)
    assert (returned.end_to_end_id, returned.outcome) == ("PAY-2", "reversed")
    assert (returned.reason_code, returned.reason_text) == (
        iso20022.DECEASED,
        "end customer deceased",
    )
    assert returned.amount == Decimal("0.30")
    assert returned.booking_date == date(2026, 11, 26)
    assert (pending.outcome, pending.amount) == ("processing", Decimal("12.50"))
    # Batch-booked entry: its total is no single transfer's amount.
    assert (batched.end_to_end_id, batched.amount) == ("PAY-4", None)
    assert (info.end_to_end_id, info.amount, info.outcome) == (
        None,
        Decimal("5.00"),
        None,
    )


# Hostile or wrong input -----------------------------------------------------------

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol1 "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1)) * 10) for n in range(2, 10)
    )
    + b"]><Document><CstmrPmtStsRpt>&lol9;</CstmrPmtStsRpt></Document>"
)
EXTERNAL = (
    b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<Document><BkToCstmrDbtCdtNtfctn>&x;</BkToCstmrDbtCdtNtfctn></Document>"
)


@pytest.mark.parametrize("parse", [iso20022.parse_pain002, iso20022.parse_camt054])
@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n junk", b"", b"<Document>", BOMB, EXTERNAL, "<Document/>"],
    ids=["junk", "empty", "unclosed", "entity-bomb", "external-entity", "str"],
)
def test_junk_and_entity_bombs_are_refused(parse, data):
    with pytest.raises(Iso20022Error):
        parse(data)


def test_wrong_document_type_is_refused():
    with pytest.raises(Iso20022Error, match="not a camt.054 document.*pain.002"):
        iso20022.parse_camt054(PAIN002)
    with pytest.raises(Iso20022Error, match="not a pain.002 document.*camt.054"):
        iso20022.parse_pain002(CAMT054)
    with pytest.raises(Iso20022Error, match="pain.001.001.03 is a pain.001"):
        iso20022.parse_pain002(_pain001(V03))
    assert issubclass(Iso20022Error, ValueError)


# Recognition by namespace and version --------------------------------------------

SAMPLES = Path(__file__).resolve().parents[2] / "addons/spp_payment_file/tests/data"


def _doc(namespace, body):
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return f"<Document{xmlns}>{body}</Document>".encode()


CAMT054_BODY = (
    "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N</MsgId></GrpHdr><Ntfctn><Ntry>"
    '<Amt Ccy="KES">1.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><NtryDtls>'
    "<TxDtls><Refs><EndToEndId>PAY-1</EndToEndId></Refs></TxDtls></NtryDtls></Ntry>"
    "</Ntfctn></BkToCstmrDbtCdtNtfctn>"
)
PAIN002_BODY = (
    "<CstmrPmtStsRpt><GrpHdr><MsgId>R</MsgId></GrpHdr><OrgnlPmtInfAndSts>"
    "<TxInfAndSts><OrgnlEndToEndId>PAY-1</OrgnlEndToEndId><TxSts>ACSC</TxSts>"
    "</TxInfAndSts></OrgnlPmtInfAndSts></CstmrPmtStsRpt>"
)


@pytest.mark.parametrize(
    "parse,body,namespace,error",
    [
        # A camt.054 body under pain.002's namespace, and the reverse.
        (
            iso20022.parse_camt054,
            CAMT054_BODY,
            iso20022.NAMESPACE + "pain.002.001.03",
            "namespace urn:iso:std:iso:20022:tech:xsd:pain.002.001.03 is a pain.002",
        ),
        (
            iso20022.parse_pain002,
            PAIN002_BODY,
            iso20022.NAMESPACE + "camt.054.001.02",
            "camt.054.001.02 is a camt.054",
        ),
        # The right message, a version not read.
        (
            iso20022.parse_camt054,
            CAMT054_BODY,
            iso20022.NAMESPACE + "camt.054.001.01",
            "unsupported camt.054 version: namespace .*camt.054.001.01",
        ),
        (
            iso20022.parse_pain002,
            PAIN002_BODY,
            iso20022.NAMESPACE + "pain.002.001.02",
            "unsupported pain.002 version",
        ),
        # No namespace, or not an ISO one.
        (iso20022.parse_camt054, CAMT054_BODY, None, "has no XML namespace"),
        (iso20022.parse_pain002, PAIN002_BODY, "urn:bank:x", "urn:bank:x is not an"),
        # The namespace is right but the body is another message's.
        (
            iso20022.parse_pain002,
            CAMT054_BODY,
            iso20022.NAMESPACE + "pain.002.001.10",
            "holds BkToCstmrDbtCdtNtfctn, not CstmrPmtStsRpt",
        ),
        (
            iso20022.parse_statement,
            CAMT054_BODY,
            iso20022.NAMESPACE + "camt.053.001.02",
            "holds BkToCstmrDbtCdtNtfctn, not BkToCstmrStmt",
        ),
    ],
)
def test_foreign_namespace_or_version_is_refused(parse, body, namespace, error):
    with pytest.raises(Iso20022Error, match=error) as caught:
        parse(_doc(namespace, body))
    # The supported namespaces are named.
    assert "supported: urn:iso:std:iso:20022:tech:xsd:" in str(
        caught.value
    ) or "holds" in str(caught.value)


def test_body_in_another_namespace_is_refused():
    data = (
        b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
        + CAMT054_BODY.replace(
            "<BkToCstmrDbtCdtNtfctn>",
            f'<BkToCstmrDbtCdtNtfctn xmlns="{iso20022.NAMESPACE}pain.002.001.03">',
        ).encode()
        + b"</Document>"
    )
    with pytest.raises(Iso20022Error, match="is in namespace .*pain.002.001.03"):
        iso20022.parse_camt054(data)


@pytest.mark.parametrize("version", iso20022.SUPPORTED["camt.054"])
def test_each_supported_camt054_version_is_read(version):
    items = iso20022.parse_camt054(_doc(iso20022.NAMESPACE + version, CAMT054_BODY))
    assert [(i.end_to_end_id, i.outcome) for i in items] == [("PAY-1", "paid")]


@pytest.mark.parametrize("version", iso20022.SUPPORTED["pain.002"])
def test_each_supported_pain002_version_is_read(version):
    report = iso20022.parse_pain002(_doc(iso20022.NAMESPACE + version, PAIN002_BODY))
    assert [(i.end_to_end_id, i.outcome) for i in report.items] == [("PAY-1", "paid")]


def test_identify_reads_the_root_namespace():
    sample = (SAMPLES / "oca-camt.053.001.02.xml").read_bytes()
    assert iso20022.identify(sample) == "camt.053.001.02"
    with pytest.raises(Iso20022Error, match="pain.001.001.03 is a pain.001"):
        iso20022.identify(_pain001(V03))
    with pytest.raises(Iso20022Error, match="not an XML document"):
        iso20022.identify(b"ref;status\n")


# Bank samples we did not write (see addons/spp_payment_file/tests/data/README.md) ----


@pytest.mark.parametrize(
    "name,version",
    [
        ("pain.002-unpaid-sample.xml", "pain.002.001.03"),
        ("camt.054-unpaid-sample.xml", "camt.054.001.02"),
        ("oca-camt.054.001.04.xml", "camt.054.001.04"),
        ("genkgo-camt054.v2.xml", "camt.054.001.02"),
        ("genkgo-camt054.v8.xml", "camt.054.001.08"),
        ("oca-camt.053.001.02.xml", "camt.053.001.02"),
        ("oca-camt.053.001.04-txdtls.xml", "camt.053.001.04"),
        ("genkgo-camt053.v2.minimal.xml", "camt.053.001.02"),
        ("genkgo-camt053.v4.xml", "camt.053.001.04"),
        ("genkgo-camt053.v8.xml", "camt.053.001.08"),
        ("genkgo-camt052.v2.xml", "camt.052.001.02"),
        ("genkgo-camt052.v4.xml", "camt.052.001.04"),
        ("genkgo-camt052.v6.xml", "camt.052.001.06"),
        ("genkgo-camt052.v8.xml", "camt.052.001.08"),
    ],
)
def test_bank_samples_are_recognised(name, version):
    assert iso20022.identify((SAMPLES / name).read_bytes()) == version


def test_oca_camt053_sample():
    (statement,) = iso20022.parse_statement(
        (SAMPLES / "oca-camt.053.001.02.xml").read_bytes()
    )
    assert statement.message == "camt.053.001.02"
    assert (statement.msg_id, statement.statement_id) == (
        "TESTBANK/NL/1420561226673",
        "1234Test/1",
    )
    assert statement.account == "NL77ABNA0574908765"
    assert statement.created == datetime(2014, 1, 6, 16, 20, 26, 673000)
    assert statement.opening.amount == Decimal("15568.27")
    closing = statement.closing
    assert (closing.code, closing.amount, closing.currency, closing.date) == (
        "CLBD",
        Decimal("15121.12"),
        "EUR",
        date(2014, 1, 5),
    )
    # End of the balance's day: before the statement was created.
    assert iso20022.balance_moment(statement, closing) == datetime(
        2014, 1, 5, 23, 59, 59
    )
    assert statement.entry_count == 3
    assert [
        (e.end_to_end_id, e.amount, e.credit_debit, e.reason_code, e.outcome)
        for e in statement.entries
    ] == [
        ("435005714488-ABNO33052620", Decimal("754.25"), "DBIT", None, "paid"),
        # A returned direct debit (RtrInf on a debit): not our payment's outcome.
        ("TESTBANK/NL/20141229/01206408", Decimal("564.05"), "DBIT", "AC06", None),
        ("TESTBANK/NL/20141229/01206407", Decimal("100.00"), "DBIT", "AC06", None),
        # An incoming credit without return information: no outcome.
        ("115", Decimal("1405.31"), "CRDT", None, None),
    ]


def test_batch_booking_names_its_payment_information():
    (statement,) = iso20022.parse_statement(
        (SAMPLES / "oca-camt.053.001.02.xml").read_bytes()
    )
    assert [e.pmt_inf_id for e in statement.entries] == [
        None,
        "2018/125-20141229-NORM",
        "2018/125-20141229-NORM",
        None,
    ]


def test_genkgo_camt053_v8_debit_balance_is_negative():
    (statement,) = iso20022.parse_statement(
        (SAMPLES / "genkgo-camt053.v8.xml").read_bytes()
    )
    assert statement.account == "NL26VAYB8060476890"  # Acct/Id/Othr/Id
    assert statement.closing.amount == Decimal("-27.00")
    assert statement.closing.currency == "SEK"
    assert {b.code for b in statement.balances} == {"OPBD", "CLBD", "OPAV", "CLAV"}
    assert [e.status for e in statement.entries] == ["BOOK"]  # Sts/Cd (.08)


def test_genkgo_camt052_interim_balance_and_pending_entry():
    (report,) = iso20022.parse_statement(
        (SAMPLES / "genkgo-camt052.v4.xml").read_bytes()
    )
    assert report.message == "camt.052.001.04"
    assert report.account == "CH2801234000123456789"
    # No closing booked balance in an intraday report: the interim booked one.
    assert (report.closing.code, report.closing.amount) == ("ITBD", Decimal("10022.15"))
    (entry,) = report.entries
    assert (entry.end_to_end_id, entry.status, entry.outcome) == (
        "UXC06140000015PI00001EE00001",
        "PDNG",
        "processing",
    )
    (bare,) = iso20022.parse_statement((SAMPLES / "genkgo-camt052.v8.xml").read_bytes())
    assert bare.balances == [] and bare.closing is None
    # Booking DtTm with an offset: the booking day as the bank wrote it.
    assert bare.entries[0].booking_date == date(2007, 10, 18)


def test_statement_only_reads_its_messages():
    with pytest.raises(Iso20022Error, match="not a camt.053 or camt.052 document"):
        iso20022.parse_statement((SAMPLES / "genkgo-camt054.v8.xml").read_bytes())
    with pytest.raises(Iso20022Error, match="not a camt.053 document"):
        iso20022.parse_statement(
            (SAMPLES / "genkgo-camt052.v4.xml").read_bytes(), ("camt.053",)
        )


def test_statement_balance_moment_and_bad_balances():
    namespace = iso20022.NAMESPACE + "camt.053.001.08"

    def statement(balance, created="2026-11-20T10:00:00+03:00"):
        return _doc(
            namespace,
            "<BkToCstmrStmt><GrpHdr><MsgId>S</MsgId>"
            f"<CreDtTm>{created}</CreDtTm></GrpHdr><Stmt><Id>S-1</Id>"
            "<Acct><Id><Othr><Id>ACC 1</Id></Othr></Id></Acct>"
            f"{balance}</Stmt></BkToCstmrStmt>",
        )

    bal = (
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
        '<Amt Ccy="KES">5.00</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        "<Dt><Dt>2026-11-20</Dt></Dt></Bal>"
    )
    (today,) = iso20022.parse_statement(statement(bal.format(side="CRDT")))
    assert today.account == "ACC1"
    # Today's closing balance held when the statement was made (UTC).
    assert today.created == datetime(2026, 11, 20, 7, 0)
    assert iso20022.balance_moment(today, today.closing) == datetime(2026, 11, 20, 7)
    with pytest.raises(Iso20022Error, match="CdtDbtInd 'XXXX'"):
        iso20022.parse_statement(statement(bal.format(side="XXXX")))
    with pytest.raises(Iso20022Error, match="not an amount"):
        iso20022.parse_statement(
            statement(bal.format(side="CRDT").replace("5.00", "five"))
        )
    with pytest.raises(Iso20022Error, match="without any Stmt"):
        iso20022.parse_statement(
            _doc(namespace, "<BkToCstmrStmt><GrpHdr/></BkToCstmrStmt>")
        )


def test_elements_in_another_namespace_are_not_the_message_s():
    data = _doc(
        iso20022.NAMESPACE + "camt.054.001.02",
        CAMT054_BODY.replace(
            "<EndToEndId>PAY-1</EndToEndId>",
            '<x:EndToEndId xmlns:x="urn:other">PAY-1</x:EndToEndId>',
        ),
    )
    (item,) = iso20022.parse_camt054(data)
    assert item.end_to_end_id is None


@pytest.mark.parametrize(
    "side,reversal,outcome",
    [
        ("DBIT", "false", "paid"),
        # The bank reverses our debit: the payment came back.
        ("CRDT", "true", "reversed"),
        # A debit reversing someone's credit is no payment of ours.
        ("DBIT", "true", None),
    ],
)
def test_reversal_indicator(side, reversal, outcome):
    body = CAMT054_BODY.replace(
        "<CdtDbtInd>DBIT</CdtDbtInd>",
        f"<CdtDbtInd>{side}</CdtDbtInd><RvslInd>{reversal}</RvslInd>",
    )
    (item,) = iso20022.parse_camt054(_doc(iso20022.NAMESPACE + "camt.054.001.08", body))
    assert item.outcome == outcome

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""ISO 20022 bank files: pain.001 credit transfer initiation (written), pain.002
status reports and camt.054 debit/credit notifications (read).

The writer streams text, so a million transfers do not build a million-node tree;
the element order follows the official XSDs, which :func:`validate` checks against.
The readers match on local names (any pain.002.001.xx / camt.054.001.xx version)
and refuse DTDs, entities and non-XML input.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from xml.sax.saxutils import escape

from lxml import etree

from .money import round_money

PAIN001_VERSIONS = ("pain.001.001.03", "pain.001.001.09")
DECEASED = "MD07"
REASON_TEXT = {
    "AC01": "incorrect account number",
    "AC03": "invalid creditor account number",
    "AC04": "account closed",
    "AC06": "account blocked",
    "AG01": "transaction forbidden on this account",
    "AM04": "insufficient funds",
    "AM05": "duplicate payment",
    "BE04": "missing creditor address",
    "DUPL": "duplicate payment",
    "FF01": "invalid file format",
    "MD06": "refund requested by end customer",
    "MD07": "end customer deceased",
    "MS02": "reason not specified (customer)",
    "MS03": "reason not specified (agent)",
    "RC01": "bank identifier incorrect",
    "RR04": "regulatory reason",
    "TECH": "technical problem",
}
# Reasons after which sending again may succeed: a failure, not a rejection.
RETRYABLE_REASONS = frozenset({"AM04", "TECH", "MS03"})
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Za-z0-9]{11,30}$")
_TX_OUTCOME = {
    "RCVD": "accepted",
    "ACTC": "accepted",
    "ACCP": "accepted",
    "ACWC": "accepted",
    "PDNG": "processing",
    "ACSP": "processing",
    "ACSC": "paid",
    "ACCC": "paid",
}


class Iso20022Error(ValueError):
    """A file that is not the ISO 20022 document it claims to be."""


@dataclass(frozen=True)
class Debtor:
    name: str
    account: str
    bic: str | None = None
    initiating_party: str | None = None


@dataclass(frozen=True)
class Transfer:
    end_to_end_id: str
    amount: Decimal
    currency: str
    creditor_name: str
    creditor_account: str
    creditor_bic: str | None = None
    remittance: str | None = None


# Writing ---------------------------------------------------------------------


def _text(value, limit):
    return escape(str(value)[:limit])


def _account(account):
    account = account.replace(" ", "")
    if _IBAN.match(account):
        return f"<Id><IBAN>{escape(account)}</IBAN></Id>"
    return f"<Id><Othr><Id>{_text(account, 34)}</Id></Othr></Id>"


def _agent(bic, version):
    if not bic:
        return "<FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId>"
    tag = "BIC" if version == "pain.001.001.03" else "BICFI"
    return f"<FinInstnId><{tag}>{escape(bic)}</{tag}></FinInstnId>"


def _transfer(t, version, purpose):
    amount = round_money(t.amount, 2)
    parts = [
        "<CdtTrfTxInf><PmtId>",
        f"<InstrId>{_text(t.end_to_end_id, 35)}</InstrId>",
        f"<EndToEndId>{_text(t.end_to_end_id, 35)}</EndToEndId></PmtId>",
        f'<Amt><InstdAmt Ccy="{escape(t.currency)}">{amount}</InstdAmt></Amt>',
    ]
    if t.creditor_bic:
        parts.append(f"<CdtrAgt>{_agent(t.creditor_bic, version)}</CdtrAgt>")
    parts.append(f"<Cdtr><Nm>{_text(t.creditor_name, 140)}</Nm></Cdtr>")
    parts.append(f"<CdtrAcct>{_account(t.creditor_account)}</CdtrAcct>")
    if purpose:
        parts.append(f"<Purp><Cd>{escape(purpose)}</Cd></Purp>")
    if t.remittance:
        parts.append(f"<RmtInf><Ustrd>{_text(t.remittance, 140)}</Ustrd></RmtInf>")
    parts.append("</CdtTrfTxInf>\n")
    return "".join(parts)


def write_pain001(
    out,
    transfers,
    *,
    version,
    msg_id,
    created,
    debtor,
    execution_date,
    category_purpose=None,
    batch_booking=False,
    currency=None,
):
    """Write a pain.001 credit transfer initiation of ``transfers`` to ``out``
    (a text stream). ``msg_id`` is the file's idempotency key for the bank."""
    if version not in PAIN001_VERSIONS:
        raise ValueError(f"unsupported pain.001 version {version}")
    if not transfers:
        raise ValueError("a pain.001 file needs at least one transfer")
    count = len(transfers)
    total = sum((round_money(t.amount, 2) for t in transfers), Decimal(0))
    stamp = created.replace(microsecond=0).isoformat()
    summary = f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total}</CtrlSum>"
    initiating = debtor.initiating_party or debtor.name
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<CstmrCdtTrfInitn><GrpHdr>"
        f"<MsgId>{_text(msg_id, 35)}</MsgId><CreDtTm>{stamp}</CreDtTm>{summary}"
        f"<InitgPty><Nm>{_text(initiating, 140)}</Nm></InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{_text(msg_id, 35)}</PmtInfId><PmtMtd>TRF</PmtMtd>"
        f"<BtchBookg>{'true' if batch_booking else 'false'}</BtchBookg>{summary}"
    )
    if category_purpose:
        out.write(
            f"<PmtTpInf><CtgyPurp><Cd>{escape(category_purpose)}</Cd></CtgyPurp>"
            "</PmtTpInf>"
        )
    day = execution_date.isoformat()
    out.write(
        f"<ReqdExctnDt>{day}</ReqdExctnDt>"
        if version == "pain.001.001.03"
        else f"<ReqdExctnDt><Dt>{day}</Dt></ReqdExctnDt>"
    )
    out.write(
        f"<Dbtr><Nm>{_text(debtor.name, 140)}</Nm></Dbtr>"
        f"<DbtrAcct>{_account(debtor.account)}</DbtrAcct>"
        f"<DbtrAgt>{_agent(debtor.bic, version)}</DbtrAgt><ChrgBr>SLEV</ChrgBr>\n"
    )
    for transfer in transfers:
        out.write(_transfer(transfer, version, category_purpose))
    out.write("</PmtInf></CstmrCdtTrfInitn></Document>\n")


def validate(xml_bytes, xsd_path):
    """Errors of ``xml_bytes`` against the XSD at ``xsd_path`` (empty: valid)."""
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    try:
        document = etree.fromstring(xml_bytes, _parser())
    except etree.XMLSyntaxError as error:
        return [f"not well-formed: {error}"]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# Reading ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusItem:
    end_to_end_id: str
    status: str
    reason_code: str | None
    reason_text: str | None
    amount: Decimal | None
    outcome: str | None


@dataclass(frozen=True)
class StatusReport:
    msg_id: str | None
    original_msg_id: str | None
    group_status: str | None
    payment_info_statuses: list
    items: list


@dataclass(frozen=True)
class Notification:
    end_to_end_id: str | None
    amount: Decimal | None
    currency: str | None
    credit_debit: str | None
    status: str | None
    booking_date: date | None
    reason_code: str | None
    reason_text: str | None
    outcome: str | None


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        remove_comments=True,
    )


def _root(data, expected):
    try:
        root = etree.fromstring(data, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise Iso20022Error(f"not an XML document: {error}") from error
    if root.getroottree().docinfo.doctype:
        raise Iso20022Error("XML with a DOCTYPE is refused (entities, DTDs)")
    body = _child(root, expected)
    if body is None:
        held = _local(root[0]) if len(root) else _local(root)
        raise Iso20022Error(f"not a {expected} document (it holds {held})")
    return body


def _local(element):
    return etree.QName(element).localname


def _child(element, name):
    for child in element:
        if isinstance(child.tag, str) and _local(child) == name:
            return child
    return None


def _children(element, name):
    return [c for c in element if isinstance(c.tag, str) and _local(c) == name]


def _find(element, path):
    for name in path.split("/"):
        if element is None:
            return None
        element = _child(element, name)
    return element


def _value(element, path):
    found = _find(element, path)
    return found.text.strip() if found is not None and found.text else None


def _decimal(text):
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation as error:
        raise Iso20022Error(f"not an amount: {text!r}") from error


def _date(text):
    if not text:
        return None
    try:
        return datetime.fromisoformat(text[:10]).date()
    except ValueError as error:
        raise Iso20022Error(f"not a date: {text!r}") from error


def status_outcome(tx_status, reason_code=None):
    """Payment outcome of a pain.002 transaction status."""
    if tx_status == "RJCT":
        return "failed" if reason_code in RETRYABLE_REASONS else "rejected"
    return _TX_OUTCOME.get(tx_status)


def parse_pain002(data):
    body = _root(data, "CstmrPmtStsRpt")
    group = _find(body, "OrgnlGrpInfAndSts")
    blocks = _children(body, "OrgnlPmtInfAndSts")
    items = []
    for tx in [t for block in blocks for t in _children(block, "TxInfAndSts")] + (
        _children(body, "TxInfAndSts")
    ):
        status = _value(tx, "TxSts")
        code = _value(tx, "StsRsnInf/Rsn/Cd")
        items.append(
            StatusItem(
                end_to_end_id=_value(tx, "OrgnlEndToEndId"),
                status=status,
                reason_code=code,
                reason_text=_value(tx, "StsRsnInf/AddtlInf") or REASON_TEXT.get(code),
                amount=_decimal(_value(tx, "OrgnlTxRef/Amt/InstdAmt")),
                outcome=status_outcome(status, code),
            )
        )
    return StatusReport(
        msg_id=_value(body, "GrpHdr/MsgId"),
        original_msg_id=_value(group, "OrgnlMsgId") if group is not None else None,
        group_status=_value(group, "GrpSts") if group is not None else None,
        payment_info_statuses=[
            (_value(b, "OrgnlPmtInfId"), _value(b, "PmtInfSts")) for b in blocks
        ],
        items=items,
    )


def parse_camt054(data):
    body = _root(data, "BkToCstmrDbtCdtNtfctn")
    notifications = []
    for entry in [e for n in _children(body, "Ntfctn") for e in _children(n, "Ntry")]:
        entry_amount = _find(entry, "Amt")
        indicator = _value(entry, "CdtDbtInd")
        status = _value(entry, "Sts/Cd") or _value(entry, "Sts")
        booked = _date(_value(entry, "BookgDt/Dt") or _value(entry, "BookgDt/DtTm"))
        details = [
            tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")
        ] or [None]
        for tx in details:
            amount_node = _find(tx, "AmtDtls/InstdAmt/Amt") if tx is not None else None
            amount_node = (
                amount_node
                if amount_node is not None
                else (_find(tx, "Amt") if tx is not None else None)
            )
            amount_node = amount_node if amount_node is not None else entry_amount
            code = _value(tx, "RtrInf/Rsn/Cd") if tx is not None else None
            returned = tx is not None and _find(tx, "RtrInf") is not None
            notifications.append(
                Notification(
                    end_to_end_id=_value(tx, "Refs/EndToEndId")
                    if tx is not None
                    else None,
                    amount=_decimal(amount_node.text.strip())
                    if amount_node is not None and amount_node.text
                    else None,
                    currency=amount_node.get("Ccy")
                    if amount_node is not None
                    else None,
                    credit_debit=indicator,
                    status=status,
                    booking_date=booked,
                    reason_code=code,
                    reason_text=(
                        _value(tx, "RtrInf/AddtlInf") if tx is not None else None
                    )
                    or REASON_TEXT.get(code),
                    outcome=notification_outcome(indicator, status, returned),
                )
            )
    return notifications


def notification_outcome(credit_debit, status, returned):
    """Payment outcome of a camt.054 entry: a booked debit of our transfer is
    paid; a return (RtrInf) reverses it; a pending entry is still processing."""
    if returned:
        return "reversed"
    if status == "PDNG":
        return "processing"
    if credit_debit == "DBIT" and status == "BOOK":
        return "paid"
    return None

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""ISO 20022 bank files: pain.001 credit transfer initiation (written), pain.002
status reports and camt.054 debit/credit notifications (read).

The writer streams text, so a million transfers do not build a million-node tree;
the element order follows the official XSDs, which :func:`validate` checks against.
Values the schema would refuse, or that would silently pay someone else (a cut
identifier or account), raise ``ValueError`` before anything is written.
The readers match on local names (any pain.002.001.xx / camt.054.001.xx version)
and refuse DTDs, entities and non-XML input with :class:`Iso20022Error`.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from .money import to_decimal

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

_CENT = Decimal("0.01")
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Za-z0-9]{11,30}")
_CURRENCY = re.compile(r"[A-Z]{3}")
_BIC = {
    # BICIdentifier (.03) and BICFIDec2014Identifier (.09), as in the XSDs.
    "pain.001.001.03": re.compile(r"[A-Z]{6}[A-Z2-9][A-NP-Z0-9]([A-Z0-9]{3})?"),
    "pain.001.001.09": re.compile(r"[A-Z0-9]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?"),
}
# Characters XML 1.0 cannot carry, and line breaks/tabs that have no place in a
# one-line bank field: replaced by a space.
_UNFIT = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class Iso20022Error(ValueError):
    """A file that is not the ISO 20022 document it claims to be."""


@dataclass(frozen=True)
class Debtor:
    name: str
    account: str  # IBAN, or any other account identifier (Othr/Id)
    bic: str | None = None
    initiating_party: str | None = None  # InitgPty/Nm; the debtor name if empty


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


def _escape(text):
    """``xml.sax.saxutils.escape`` without its cost on text that needs none."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _text(value, limit):
    """A free-text field (name, remittance): cleaned, cut to ``limit`` characters
    of the schema's MaxNText, escaped; empty when nothing is left."""
    text = str(value or "")
    if _UNFIT.search(text):
        text = _UNFIT.sub(" ", text)
    return _escape(text.strip()[:limit].rstrip())


def _identifier(value, limit, what):
    """An identifier the bank echoes back: never cut (a cut one could name
    another payment), never empty."""
    text = str(value or "").strip()
    if not text or len(text) > limit or _UNFIT.search(text):
        raise ValueError(
            f"{what} {value!r} must be 1 to {limit} characters on one line"
        )
    return _escape(text)


def _amount(value, decimal_places=2):
    """``value`` with the currency's number of decimals (ISO 4217: 2 for most,
    0 for JPY or XOF, 3 for KWD), as the schema's ActiveOrHistoricCurrency
    amounts require."""
    amount = value if isinstance(value, Decimal) else to_decimal(value)
    if not amount.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    unit = _CENT if decimal_places == 2 else Decimal(10) ** -decimal_places
    return amount.quantize(unit, rounding=ROUND_HALF_UP)


def _account(account, what):
    account = str(account or "").replace(" ", "")
    if 15 <= len(account) <= 34 and _IBAN.fullmatch(account):
        return f"<Id><IBAN>{account}</IBAN></Id>"
    return f"<Id><Othr><Id>{_identifier(account, 34, what)}</Id></Othr></Id>"


def _agent(bic, version, what):
    if not bic:
        return "<FinInstnId><Othr><Id>NOTPROVIDED</Id></Othr></FinInstnId>"
    bic = bic.strip().upper()
    if not _BIC[version].fullmatch(bic):
        raise ValueError(f"{what}: {bic!r} is not a BIC")
    tag = "BIC" if version == "pain.001.001.03" else "BICFI"
    return f"<FinInstnId><{tag}>{bic}</{tag}></FinInstnId>"


def _summary(transfers, currency, decimal_places=2):
    """Count and exact control sum, checking what would make a bad file:
    duplicate or overlong EndToEndIds, amounts not above zero, bad currencies."""
    seen = set()
    total = Decimal(0)
    for transfer in transfers:
        key = transfer.end_to_end_id
        _identifier(key, 35, "EndToEndId")
        key = key.strip()
        if key in seen:
            raise ValueError(f"EndToEndId {key!r} appears twice")
        seen.add(key)
        amount = _amount(transfer.amount, decimal_places)
        if amount <= 0:
            raise ValueError(f"{key}: the amount {transfer.amount} is not above zero")
        total += amount
        code = transfer.currency or currency
        if not code or not _CURRENCY.fullmatch(code):
            raise ValueError(f"{key}: {code!r} is not a currency code")
    return len(seen), total


def _transfer(transfer, version, purpose, currency, agents, decimal_places=2):
    key = _escape(transfer.end_to_end_id.strip())
    bic = transfer.creditor_bic
    if bic:
        agent = agents.get(bic)
        if agent is None:
            agent = agents[bic] = f"<CdtrAgt>{_agent(bic, version, key)}</CdtrAgt>"
    else:
        agent = ""
    name = _text(transfer.creditor_name, 140)
    if not name:
        raise ValueError(f"{key}: the creditor has no name")
    remittance = _text(transfer.remittance, 140)
    return (
        f"<CdtTrfTxInf><PmtId><InstrId>{key}</InstrId>"
        f"<EndToEndId>{key}</EndToEndId></PmtId>"
        f'<Amt><InstdAmt Ccy="{transfer.currency or currency}">'
        f"{_amount(transfer.amount, decimal_places)}</InstdAmt></Amt>{agent}"
        f"<Cdtr><Nm>{name}</Nm></Cdtr>"
        f"<CdtrAcct>{_account(transfer.creditor_account, key + ': account')}"
        f"</CdtrAcct>{purpose}"
        + (f"<RmtInf><Ustrd>{remittance}</Ustrd></RmtInf>" if remittance else "")
        + "</CdtTrfTxInf>\n"
    )


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
    decimal_places=2,
):
    """Write a pain.001 credit transfer initiation of ``transfers`` to ``out``
    (a text stream), as one payment information block (PmtInfId = ``msg_id``).

    ``msg_id`` is the file's idempotency key for the bank; ``currency`` is used
    for transfers that name none; ``category_purpose`` (e.g. ``SSBE``) goes to
    PmtTpInf/CtgyPurp and to each transfer's Purp; amounts are written with
    ``decimal_places`` decimals (the currency's). An unfit value raises
    ``ValueError``: identifiers, amounts and currencies before anything is
    written, names, accounts and BICs while writing -- so write to a buffer and
    drop it on error."""
    if version not in PAIN001_VERSIONS:
        raise ValueError(f"unsupported pain.001 version {version}")
    if not isinstance(transfers, Sequence):
        transfers = list(transfers)
    if not transfers:
        raise ValueError("a pain.001 file needs at least one transfer")
    message = _identifier(msg_id, 35, "MsgId")
    count, total = _summary(transfers, currency, decimal_places)
    if isinstance(execution_date, datetime):
        execution_date = execution_date.date()
    purpose = ""
    kind = ""
    if category_purpose:
        code = _identifier(category_purpose, 4, "category purpose")
        purpose = f"<Purp><Cd>{code}</Cd></Purp>"
        kind = f"<PmtTpInf><CtgyPurp><Cd>{code}</Cd></CtgyPurp></PmtTpInf>"
    day = execution_date.isoformat()
    debtor_name = _text(debtor.name, 140)
    if not debtor_name:
        raise ValueError("the debtor has no name")
    header = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:{version}" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<CstmrCdtTrfInitn><GrpHdr>"
        f"<MsgId>{message}</MsgId>"
        f"<CreDtTm>{created.replace(microsecond=0).isoformat()}</CreDtTm>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total}</CtrlSum>"
        f"<InitgPty><Nm>{_text(debtor.initiating_party, 140) or debtor_name}</Nm>"
        "</InitgPty></GrpHdr>"
        f"<PmtInf><PmtInfId>{message}</PmtInfId><PmtMtd>TRF</PmtMtd>"
        f"<BtchBookg>{'true' if batch_booking else 'false'}</BtchBookg>"
        f"<NbOfTxs>{count}</NbOfTxs><CtrlSum>{total}</CtrlSum>{kind}"
        + (
            f"<ReqdExctnDt>{day}</ReqdExctnDt>"
            if version == "pain.001.001.03"
            else f"<ReqdExctnDt><Dt>{day}</Dt></ReqdExctnDt>"
        )
        + f"<Dbtr><Nm>{debtor_name}</Nm></Dbtr>"
        f"<DbtrAcct>{_account(debtor.account, 'debtor account')}</DbtrAcct>"
        f"<DbtrAgt>{_agent(debtor.bic, version, 'debtor agent')}</DbtrAgt>"
        "<ChrgBr>SLEV</ChrgBr>\n"
    )
    agents = {}
    chunk = [header]
    for transfer in transfers:
        chunk.append(
            _transfer(transfer, version, purpose, currency, agents, decimal_places)
        )
        if len(chunk) >= 10000:
            out.write("".join(chunk))
            chunk.clear()
    chunk.append("</PmtInf></CstmrCdtTrfInitn></Document>\n")
    out.write("".join(chunk))


def validate(xml_bytes, xsd_path):
    """Errors of ``xml_bytes`` against the XSD at ``xsd_path`` (empty: valid)."""
    schema = etree.XMLSchema(etree.parse(str(xsd_path)))
    try:
        document = etree.fromstring(xml_bytes, _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        return [f"not well-formed: {error}"]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


# Reading ---------------------------------------------------------------------


@dataclass(frozen=True)
class StatusItem:
    end_to_end_id: str | None
    status: str | None
    reason_code: str | None
    reason_text: str | None
    amount: Decimal | None
    outcome: str | None


@dataclass(frozen=True)
class PaymentInfoStatus:
    pmt_inf_id: str | None
    status: str | None
    reason_code: str | None = None
    reason_text: str | None = None


@dataclass(frozen=True)
class StatusReport:
    msg_id: str | None
    original_msg_id: str | None
    group_status: str | None
    items: list = field(default_factory=list)
    payment_info_statuses: list = field(default_factory=list)
    group_reason_code: str | None = None
    group_reason_text: str | None = None


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
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _root(data, expected):
    if not isinstance(data, bytes | bytearray | memoryview):
        raise Iso20022Error(f"expected the file's bytes, not {type(data).__name__}")
    try:
        root = etree.fromstring(bytes(data), _parser())
    except (etree.XMLSyntaxError, ValueError) as error:
        raise Iso20022Error(f"not an XML document: {error}") from error
    if root.getroottree().docinfo.internalDTD is not None or (
        root.getroottree().docinfo.doctype
    ):
        raise Iso20022Error("XML with a DOCTYPE is refused (entities, DTDs)")
    if _local(root) == expected:
        return root
    body = _child(root, expected)
    if body is None:
        elements = [c for c in root if isinstance(c.tag, str)]
        held = _local(elements[0]) if elements else _local(root)
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
    if found is None or not found.text:
        return None
    return found.text.strip() or None


def _decimal(text):
    if text is None:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as error:
        raise Iso20022Error(f"not an amount: {text!r}") from error
    if not amount.is_finite():
        raise Iso20022Error(f"not an amount: {text!r}")
    return amount


def _date(text):
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError as error:
        raise Iso20022Error(f"not a date: {text!r}") from error


def _reason(element, path):
    """(code, text) of a StsRsnInf / RtrInf: Rsn/Cd, else Rsn/Prtry; all AddtlInf
    lines, else the known text of the code."""
    if element is None:
        return None, None
    reason = _find(element, path)
    if reason is None:
        return None, None
    code = _value(reason, "Rsn/Cd") or _value(reason, "Rsn/Prtry")
    lines = [(c.text or "").strip() for c in _children(reason, "AddtlInf")]
    lines = [line for line in lines if line]
    return code, " ".join(lines) or REASON_TEXT.get(code)


def status_outcome(tx_status, reason_code=None):
    """Payment outcome of a pain.002 status: accepted, processing, paid, failed
    (rejected for a reason that may pass another time) or rejected; None when
    the status is unknown."""
    if tx_status == "RJCT":
        return "failed" if reason_code in RETRYABLE_REASONS else "rejected"
    return _TX_OUTCOME.get(tx_status)


def parse_pain002(data):
    """A pain.002 payment status report. A file rejected as a whole may name no
    transaction: then ``items`` is empty and ``group_status`` is ``RJCT``."""
    body = _root(data, "CstmrPmtStsRpt")
    group = _find(body, "OrgnlGrpInfAndSts")
    group_status = _value(group, "GrpSts") if group is not None else None
    group_code, group_text = _reason(group, "StsRsnInf")
    blocks = _children(body, "OrgnlPmtInfAndSts")
    statuses = []
    items = []
    # pain.002.001.02 put TxInfAndSts at the top level; later versions nest it.
    for block in [*blocks, None]:
        if block is not None:
            block_status = _value(block, "PmtInfSts")
            block_code, block_text = _reason(block, "StsRsnInf")
            statuses.append(
                PaymentInfoStatus(
                    _value(block, "OrgnlPmtInfId"), block_status, block_code, block_text
                )
            )
            transactions = _children(block, "TxInfAndSts")
        else:
            block_status, block_code, block_text = group_status, group_code, group_text
            transactions = _children(body, "TxInfAndSts")
        for tx in transactions:
            status = _value(tx, "TxSts")
            code, text = _reason(tx, "StsRsnInf")
            if status is None:  # no own status: the block's (or group's) applies
                status = block_status or group_status
                code, text = code or block_code, text or block_text
            items.append(
                StatusItem(
                    end_to_end_id=_value(tx, "OrgnlEndToEndId"),
                    status=status,
                    reason_code=code,
                    reason_text=text,
                    amount=_decimal(_value(tx, "OrgnlTxRef/Amt/InstdAmt")),
                    outcome=status_outcome(status, code),
                )
            )
    return StatusReport(
        msg_id=_value(body, "GrpHdr/MsgId"),
        original_msg_id=_value(group, "OrgnlMsgId") if group is not None else None,
        group_status=group_status,
        items=items,
        payment_info_statuses=statuses,
        group_reason_code=group_code,
        group_reason_text=group_text,
    )


def notification_outcome(credit_debit, status, returned):
    """Payment outcome of a camt.054 entry for the paying account: a returned
    credit (RtrInf) reverses our transfer; a pending entry is still processing;
    a booked debit is paid. A debit carrying return information is someone
    else's return, not our payment: no outcome."""
    if returned:
        return "reversed" if credit_debit == "CRDT" else None
    if status == "PDNG":
        return "processing"
    if credit_debit == "DBIT" and status == "BOOK":
        return "paid"
    return None


def _tx_amount(tx, entry_amount, single):
    for path in ("AmtDtls/InstdAmt/Amt", "AmtDtls/TxAmt/Amt", "Amt"):
        node = _find(tx, path) if tx is not None else None
        if node is not None and node.text and node.text.strip():
            return node
    # The entry's amount is this transaction's only when it is the entry's only
    # one; a batch-booked entry's total is no single payment's amount.
    return entry_amount if single else None


def parse_camt054(data):
    """A camt.054 debit/credit notification: one item per TxDtls (per entry
    when the entry has no details)."""
    body = _root(data, "BkToCstmrDbtCdtNtfctn")
    notifications = []
    for entry in [e for n in _children(body, "Ntfctn") for e in _children(n, "Ntry")]:
        indicator = _value(entry, "CdtDbtInd")
        status = _value(entry, "Sts/Cd") or _value(entry, "Sts")
        booked = _date(_value(entry, "BookgDt/Dt") or _value(entry, "BookgDt/DtTm"))
        details = [
            tx for d in _children(entry, "NtryDtls") for tx in _children(d, "TxDtls")
        ] or [None]
        for tx in details:
            node = _tx_amount(tx, _find(entry, "Amt"), len(details) == 1)
            code, text = _reason(tx, "RtrInf")
            returned = tx is not None and _find(tx, "RtrInf") is not None
            notifications.append(
                Notification(
                    end_to_end_id=_value(tx, "Refs/EndToEndId")
                    if tx is not None
                    else None,
                    amount=_decimal(node.text.strip()) if node is not None else None,
                    currency=node.get("Ccy") if node is not None else None,
                    credit_debit=indicator,
                    status=status,
                    booking_date=booked,
                    reason_code=code,
                    reason_text=text,
                    outcome=notification_outcome(indicator, status, returned),
                )
            )
    return notifications

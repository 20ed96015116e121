# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""ISO 20022 bank files: pain.001 credit transfer initiation (written), pain.002
status reports, camt.054 debit/credit notifications, camt.053 statements and
camt.052 account reports (read).

The writer streams text, so a million transfers do not build a million-node tree;
the element order follows the official XSDs, which :func:`validate` checks against.
Values the schema would refuse, or that would silently pay someone else (a cut
identifier or account), raise ``ValueError`` before anything is written.
A reader first recognises the document by its root namespace
(``urn:iso:std:iso:20022:tech:xsd:<message>.<version>``): another message's
namespace, a version not in :data:`SUPPORTED`, or no ISO namespace at all is
refused with :class:`Iso20022Error` naming what was found and what is supported.
Below the root it reads local names. DTDs, entities and non-XML input are refused.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from io import BytesIO

from lxml import etree

from .money import to_decimal

PAIN001_VERSIONS = ("pain.001.001.03", "pain.001.001.09")
NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:"
# Versions read, per message: the element paths the readers use are the same in
# each (camt: Sts as text up to .04, Sts/Cd from .06 on; both are read). A version
# missing here is refused rather than read on trust.
_CAMT_VERSIONS = ("001.02", "001.04", "001.06", "001.08")
SUPPORTED = {
    "pain.002": tuple(
        f"pain.002.{v}"
        for v in ("001.03", "001.05", "001.06", "001.07", "001.08", "001.09", "001.10")
    ),
    "camt.052": tuple(f"camt.052.{v}" for v in _CAMT_VERSIONS),
    "camt.053": tuple(f"camt.053.{v}" for v in _CAMT_VERSIONS),
    "camt.054": tuple(f"camt.054.{v}" for v in _CAMT_VERSIONS),
}
# The message's element under Document.
BODY = {
    "pain.002": "CstmrPmtStsRpt",
    "camt.052": "BkToCstmrAcctRpt",
    "camt.053": "BkToCstmrStmt",
    "camt.054": "BkToCstmrDbtCdtNtfctn",
}
_MESSAGE_VERSION = re.compile(r"([a-z]{4}\.[0-9]{3})\.([0-9]{3}\.[0-9]{2})")
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
    # The bank's reference of the entry (AcctSvcrRef, else NtryRef): to report it.
    entry_ref: str | None = None
    # PmtInfId of a batch booking (NtryDtls/Btch, else the transaction's Refs).
    pmt_inf_id: str | None = None


@dataclass(frozen=True)
class Balance:
    code: str  # Bal/Tp/CdOrPrtry/Cd (CLBD, ITBD, ...) or its Prtry
    amount: Decimal  # signed: a DBIT balance is negative
    currency: str | None
    date: date | None
    datetime: datetime | None  # Bal/Dt/DtTm, in UTC without tzinfo, when given


@dataclass(frozen=True)
class AccountStatement:
    """One Stmt of a camt.053 or Rpt of a camt.052 (one account, one period)."""

    message: str  # the message version, e.g. camt.053.001.02
    msg_id: str | None  # GrpHdr/MsgId
    statement_id: str | None  # Stmt/Id, Rpt/Id
    created: datetime | None  # Stmt/CreDtTm, else GrpHdr/CreDtTm (UTC, naive)
    account: str | None  # Acct/Id/IBAN, else Acct/Id/Othr/Id, without spaces
    currency: str | None  # Acct/Ccy
    from_datetime: datetime | None
    to_datetime: datetime | None
    balances: list = field(default_factory=list)
    entries: list = field(default_factory=list)  # Notification, one per TxDtls
    entry_count: int = 0  # Ntry elements

    def balance(self, *codes):
        """The first of the balances ``codes`` the statement holds, or None."""
        for code in codes:
            for balance in self.balances:
                if balance.code == code:
                    return balance
        return None

    @property
    def opening(self):
        return self.balance("OPBD", "PRCD")

    @property
    def closing(self):
        """The closing booked balance; a camt.052 intraday report may carry
        only an interim booked (ITBD) or closing available (CLAV) one."""
        if self.message.startswith("camt.052"):
            return self.balance(*CLOSING_BALANCES)
        return self.balance("CLBD")


# Balance codes taken as a camt.052 report's closing balance, in this order.
CLOSING_BALANCES = ("CLBD", "ITBD", "CLAV")


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


def _document(data):
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
    return root


def _supported_text(messages):
    return ", ".join(NAMESPACE + v for m in messages for v in SUPPORTED[m])


def message_version(namespace, messages=tuple(SUPPORTED)):
    """The message version (``camt.053.001.02``) an ISO 20022 root namespace
    names, when it is one of ``messages`` in a version :data:`SUPPORTED`;
    otherwise :class:`Iso20022Error` naming the namespace found and the ones
    supported."""
    wanted = " or ".join(messages)
    supported = _supported_text(messages)
    if not namespace:
        raise Iso20022Error(
            f"not a {wanted} document: it has no XML namespace; supported: {supported}"
        )
    found = namespace[len(NAMESPACE) :] if namespace.startswith(NAMESPACE) else ""
    match = _MESSAGE_VERSION.fullmatch(found)
    if not match:
        raise Iso20022Error(
            f"not a {wanted} document: its namespace {namespace} is not an "
            f"ISO 20022 message namespace; supported: {supported}"
        )
    message = match.group(1)
    if message not in messages:
        raise Iso20022Error(
            f"not a {wanted} document: its namespace {namespace} is a {message} "
            f"message's; supported: {supported}"
        )
    if found not in SUPPORTED[message]:
        raise Iso20022Error(
            f"unsupported {message} version: namespace {namespace}; "
            f"supported: {supported}"
        )
    return found


def identify(data, messages=tuple(SUPPORTED)):
    """The message version of ``data`` by its root namespace, reading only the
    root element (see :func:`message_version`)."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise Iso20022Error(f"expected the file's bytes, not {type(data).__name__}")
    try:
        for _event, element in etree.iterparse(
            BytesIO(bytes(data)),
            events=("start",),
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            huge_tree=False,
        ):
            return message_version(etree.QName(element).namespace, messages)
    except etree.XMLSyntaxError as error:
        raise Iso20022Error(f"not an XML document: {error}") from error
    raise Iso20022Error("not an XML document: it is empty")


def _root(data, messages):
    """(message version, body element) of an ISO 20022 document of one of
    ``messages``: the root's namespace must be theirs in a supported version,
    and the message's element (e.g. ``BkToCstmrStmt``) must sit in it."""
    root = _document(data)
    namespace = etree.QName(root).namespace
    version = message_version(namespace, messages)
    expected = BODY[version[:8]]
    # By local name here, to tell a body in a foreign namespace from none.
    body = root if _local(root) == expected else None
    for element in root if body is None else ():
        if isinstance(element.tag, str) and _local(element) == expected:
            body = element
            break
    if body is None:
        elements = [c for c in root if isinstance(c.tag, str)]
        held = _local(elements[0]) if elements else _local(root)
        raise Iso20022Error(
            f"not a {version} document: its namespace is {namespace} but it "
            f"holds {held}, not {expected}"
        )
    if etree.QName(body).namespace != namespace:
        raise Iso20022Error(
            f"not a {version} document: {expected} is in namespace "
            f"{etree.QName(body).namespace}, not {namespace}"
        )
    return version, body


def _local(element):
    tag = element.tag
    return tag[tag.rfind("}") + 1 :]  # "{namespace}Name" or "Name"


def _qualified(element, name):
    """``name`` in ``element``'s namespace: an ISO 20022 document keeps one
    namespace throughout (its root's, checked by :func:`_root`), so a child in
    another one is not the message's. Looked up by lxml, not in Python: a
    statement may hold a million entries, each read through a dozen lookups."""
    tag = element.tag
    return tag[: tag.rfind("}") + 1] + name


def _child(element, name):
    for child in element.iterchildren(_qualified(element, name)):
        return child
    return None


def _children(element, name):
    return list(element.iterchildren(_qualified(element, name)))


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
    _version, body = _root(data, ("pain.002",))
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


def notification_outcome(credit_debit, status, returned, reversal=False):
    """Payment outcome of a camt.052/053/054 entry for the paying account: a
    returned credit (RtrInf) reverses our transfer, and so does the bank's
    reversal of a debit (a CRDT entry with RvslInd true); a pending entry is
    still processing; a booked debit is paid. A debit carrying return
    information is someone else's return, and a DBIT reversal undoes a credit:
    neither is our payment, no outcome."""
    if returned or reversal:
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


def _entry_items(entry):
    """The Notifications of a camt.052/053/054 Ntry: one per TxDtls (one for
    the entry when it has no details)."""
    indicator = _value(entry, "CdtDbtInd")
    status = _value(entry, "Sts/Cd") or _value(entry, "Sts")
    booked = _date(_value(entry, "BookgDt/Dt") or _value(entry, "BookgDt/DtTm"))
    entry_ref = _value(entry, "AcctSvcrRef") or _value(entry, "NtryRef")
    reversal = (_value(entry, "RvslInd") or "").lower() in ("true", "1")
    blocks = _children(entry, "NtryDtls")
    details = [tx for d in blocks for tx in _children(d, "TxDtls")] or [None]
    batch = next((_value(d, "Btch/PmtInfId") for d in blocks), None)
    items = []
    for tx in details:
        node = _tx_amount(tx, _find(entry, "Amt"), len(details) == 1)
        code, text = _reason(tx, "RtrInf")
        returned = tx is not None and _find(tx, "RtrInf") is not None
        items.append(
            Notification(
                end_to_end_id=_value(tx, "Refs/EndToEndId") if tx is not None else None,
                amount=_decimal(node.text.strip()) if node is not None else None,
                currency=node.get("Ccy") if node is not None else None,
                credit_debit=indicator,
                status=status,
                booking_date=booked,
                reason_code=code,
                reason_text=text,
                outcome=notification_outcome(indicator, status, returned, reversal),
                entry_ref=entry_ref,
                pmt_inf_id=batch
                or (_value(tx, "Refs/PmtInfId") if tx is not None else None),
            )
        )
    return items


def parse_camt054(data):
    """A camt.054 debit/credit notification: one item per TxDtls (per entry
    when the entry has no details)."""
    _version, body = _root(data, ("camt.054",))
    return [
        item
        for n in _children(body, "Ntfctn")
        for e in _children(n, "Ntry")
        for item in _entry_items(e)
    ]


def _datetime(text):
    """An ISODateTime as a naive UTC datetime (Odoo's convention); one without
    offset is taken as UTC."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise Iso20022Error(f"not a date and time: {text!r}") from error
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value


def _balance(element):
    code = _value(element, "Tp/CdOrPrtry/Cd") or _value(element, "Tp/CdOrPrtry/Prtry")
    node = _find(element, "Amt")
    amount = _decimal(node.text.strip() if node is not None and node.text else None)
    if not code or amount is None:
        raise Iso20022Error("a balance (Bal) without its type or amount")
    indicator = _value(element, "CdtDbtInd")
    if indicator not in ("CRDT", "DBIT"):
        raise Iso20022Error(f"balance {code}: CdtDbtInd {indicator!r} is not CRDT/DBIT")
    moment = _datetime(_value(element, "Dt/DtTm"))
    day = _date(_value(element, "Dt/Dt")) or (moment.date() if moment else None)
    return Balance(
        code=code,
        amount=-amount if indicator == "DBIT" else amount,
        currency=node.get("Ccy"),
        date=day,
        datetime=moment,
    )


def parse_statement(data, messages=("camt.053", "camt.052")):
    """The account statements of a camt.053 (Stmt) or camt.052 (Rpt): balances
    and entries of each, one Notification per TxDtls as in camt.054."""
    version, body = _root(data, messages)
    block = "Stmt" if version.startswith("camt.053") else "Rpt"
    msg_id = _value(body, "GrpHdr/MsgId")
    header_created = _datetime(_value(body, "GrpHdr/CreDtTm"))
    statements = []
    for element in _children(body, block):
        entries = _children(element, "Ntry")
        statements.append(
            AccountStatement(
                message=version,
                msg_id=msg_id,
                statement_id=_value(element, "Id"),
                created=_datetime(_value(element, "CreDtTm")) or header_created,
                account=(
                    _value(element, "Acct/Id/IBAN")
                    or _value(element, "Acct/Id/Othr/Id")
                    or ""
                ).replace(" ", "")
                or None,
                currency=_value(element, "Acct/Ccy"),
                from_datetime=_datetime(_value(element, "FrToDt/FrDtTm")),
                to_datetime=_datetime(_value(element, "FrToDt/ToDtTm")),
                balances=[_balance(b) for b in _children(element, "Bal")],
                entries=[item for e in entries for item in _entry_items(e)],
                entry_count=len(entries),
            )
        )
    if not statements:
        raise Iso20022Error(f"a {version} document without any {block}")
    return statements


def balance_moment(statement, balance):
    """When ``balance`` of ``statement`` held: its DtTm, else the end of its day
    -- but never after the statement was created (today's closing balance is
    the balance at creation)."""
    if balance.datetime:
        return balance.datetime
    if balance.date is None:
        return statement.created
    moment = datetime.combine(balance.date, time(23, 59, 59))
    if statement.created and statement.created < moment:
        return statement.created
    return moment

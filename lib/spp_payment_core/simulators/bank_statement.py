# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A bank's end-of-day statement of the paying account, as a simulated bank
would send it: an ISO 20022 camt.053.001.08 with its opening and closing
booked balances and one booked entry per transfer (the EndToEndId of our
pain.001), a returned transfer as a credit with its return reason. The demo
builds it from an executed payroll; spp_payment_file imports it."""

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

NAMESPACE = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"
_IBAN = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")


@dataclass(frozen=True)
class Entry:
    end_to_end_id: str
    amount: Decimal
    # None: booked as paid (a debit); an ISO return reason code (AC04,
    # AC06...): the transfer came back (a credit with its return information).
    return_code: str | None = None


def _amount(value, decimal_places):
    value = Decimal(str(value))
    if value < 0:
        raise ValueError(f"{value}: an entry amount is never negative")
    return f"{value.quantize(Decimal(10) ** -decimal_places):f}"


def _balance(code, amount, currency, day, decimal_places):
    side = "DBIT" if amount < 0 else "CRDT"
    return (
        f"<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp>"
        f'<Amt Ccy="{currency}">{_amount(abs(amount), decimal_places)}</Amt>'
        f"<CdtDbtInd>{side}</CdtDbtInd><Dt><Dt>{day.isoformat()}</Dt></Dt></Bal>"
    )


def closing_balance(opening, entries):
    """The opening balance less what was paid out, plus what came back."""
    total = Decimal(str(opening))
    for entry in entries:
        amount = Decimal(str(entry.amount))
        total += amount if entry.return_code else -amount
    return total


def write_camt053(
    account,
    currency,
    entries,
    *,
    opening,
    msg_id,
    created,
    booked=None,
    decimal_places=2,
):
    """The camt.053.001.08 bytes of ``account`` (IBAN or other id) in
    ``currency``: ``entries`` (Entry) booked on ``booked`` (default: the
    creation day), balances OPBD ``opening`` and CLBD its closing."""
    if not isinstance(created, datetime):
        raise TypeError("created is a datetime")
    booked = booked or created.date()
    if not isinstance(booked, date):
        raise TypeError("booked is a date")
    seen = set()
    body = []
    for n, entry in enumerate(entries, start=1):
        key = str(entry.end_to_end_id or "").strip()
        if not key or len(key) > 35:
            raise ValueError(f"entry {n}: EndToEndId {key!r} is empty or too long")
        if key in seen:
            raise ValueError(f"entry {n}: EndToEndId {key!r} appears twice")
        seen.add(key)
        side = "CRDT" if entry.return_code else "DBIT"
        returned = (
            f"<RtrInf><Rsn><Cd>{escape(entry.return_code)}</Cd></Rsn></RtrInf>"
            if entry.return_code
            else ""
        )
        body.append(
            f"<Ntry><NtryRef>{n}</NtryRef>"
            f'<Amt Ccy="{currency}">{_amount(entry.amount, decimal_places)}</Amt>'
            f"<CdtDbtInd>{side}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>"
            f"<BookgDt><Dt>{booked.isoformat()}</Dt></BookgDt>"
            f"<BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>ICDT</Cd>"
            f"<SubFmlyCd>{'RRTN' if entry.return_code else 'ESCT'}</SubFmlyCd>"
            f"</Fmly></Domn></BkTxCd>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>{escape(key)}</EndToEndId></Refs>"
            f"{returned}</TxDtls></NtryDtls></Ntry>"
        )
    opening = Decimal(str(opening))
    closing = closing_balance(opening, entries)
    stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
    account = str(account or "").replace(" ", "")
    account = (
        f"<IBAN>{account}</IBAN>"
        if _IBAN.fullmatch(account)
        else f"<Othr><Id>{escape(account)}</Id></Othr>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<Document xmlns="{NAMESPACE}"><BkToCstmrStmt>'
        f"<GrpHdr><MsgId>{escape(msg_id)}</MsgId><CreDtTm>{stamp}</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(msg_id)}-1</Id><CreDtTm>{stamp}</CreDtTm>"
        f"<Acct><Id>{account}</Id><Ccy>{currency}</Ccy></Acct>"
        + _balance("OPBD", opening, currency, booked, decimal_places)
        + _balance("CLBD", closing, currency, booked, decimal_places)
        + "".join(body)
        + "</Stmt></BkToCstmrStmt></Document>"
    )
    return xml.encode()

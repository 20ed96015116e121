#!/usr/bin/env python3
"""Benchmark: reading a camt.053 statement of many booked entries.

    PYTHONPATH=lib python3 tests/benchmarks/bench_statement.py [--entries 200000]

Writes a camt.053.001.08 statement with one booked debit per payment (each with
its TxDtls, EndToEndId and instructed amount) and prints its size, the time to
recognise it by its namespace, and the time and entries per second of
``iso20022.parse_statement``. No database: the import wizard's own work (one
lookup query, the reconciliation lines COPYed) is measured by bench_file.py's
reply import.
"""

import argparse
import time

from spp_payment_core import iso20022

ENTRY = (
    '<Ntry><Amt Ccy="KES">10.00</Amt><CdtDbtInd>DBIT</CdtDbtInd>'
    "<Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt>"
    "<AcctSvcrRef>B{n}</AcctSvcrRef><NtryDtls><TxDtls><Refs>"
    "<EndToEndId>PAY{n:09d}</EndToEndId></Refs><AmtDtls><InstdAmt>"
    '<Amt Ccy="KES">10.00</Amt></InstdAmt></AmtDtls></TxDtls></NtryDtls></Ntry>'
)


def statement(count):
    entries = "".join(ENTRY.format(n=n) for n in range(count))
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">'
        "<BkToCstmrStmt><GrpHdr><MsgId>BENCH</MsgId>"
        "<CreDtTm>2026-11-20T20:00:00Z</CreDtTm></GrpHdr><Stmt><Id>BENCH-1</Id>"
        "<Acct><Id><IBAN>KE12ABCD00000000001234567</IBAN></Id></Acct>"
        "<Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp>"
        '<Amt Ccy="KES">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd>'
        f"<Dt><Dt>2026-11-20</Dt></Dt></Bal>{entries}</Stmt></BkToCstmrStmt>"
        "</Document>"
    ).encode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200_000)
    args = parser.parse_args()
    data = statement(args.entries)
    print(f"statement: {args.entries:,} entries, {len(data) / 1e6:.1f} MB")
    start = time.perf_counter()
    iso20022.identify(data)
    print(f"identify (root namespace): {time.perf_counter() - start:.4f} s")
    start = time.perf_counter()
    (parsed,) = iso20022.parse_statement(data)
    took = time.perf_counter() - start
    assert len(parsed.entries) == args.entries
    print(
        f"parse_statement: {took:.2f} s, {args.entries / took:,.0f} entries/s "
        f"(closing {parsed.closing.amount} {parsed.closing.currency})"
    )


if __name__ == "__main__":
    main()

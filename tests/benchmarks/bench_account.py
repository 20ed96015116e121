#!/usr/bin/env python3
"""Benchmark: accounting entries of a payroll of 1,000,000 payments.

    python3 tests/benchmarks/bench_account.py [--members 1000000] [--reuse]

Inserts an approved payroll's payments in SQL (not measured), then prints the
wall time of the execution entry (fund to the FSPs' clearing accounts, for every
payment sent), of the reconciliation entry after 70 % paid, 20 % failed and 10 %
still in flight (set in SQL, not measured), of the program accounting report, and
the number of entries and lines they took: one entry per FSP and event, whatever
the size.
"""

import argparse

from odoo_runner import member_arguments, run_on_members

CODE = """
import os
from odoo.tools import SQL
from odoo.addons.spp_payment_base.tools import guarded_write

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
env.cr.execute("UPDATE spp_program_membership SET channel = 'digital'")
env.invalidate_all()
members = env["spp.program.membership"].search_count([("program_id", "=", program.id)])
cycle = approved_cycle({{
    "name": f"bench {{time.time()}}", "program_id": program.id,
    "date_start": "2030-01-01", "date_end": "2030-01-31", "fixed_amount": 40.0,
    "rule_ids": [(0, 0, {{"name": "Fee", "code": "fee", "amount": 0.7,
                         "counts_toward_cap": False}})],
}})
payroll = env["spp.payroll"].create({{"name": "bench account", "cycle_id": cycle.id}})
# The payments of an approved payroll, inserted in SQL: generation has its own
# benchmark (bench_payroll.py), this one measures the entries.
env.cr.execute(SQL(\"\"\"
    INSERT INTO spp_payment (
        reference, program_id, membership_id, partner_id, cycle_id, payroll_id,
        fsp_id, channel, amount, state, attempt_count, entitlement_rejected,
        company_id, currency_id, create_uid, create_date, write_uid, write_date)
    SELECT %(reference)s, m.program_id, m.id, m.partner_id, %(cycle)s,
           %(payroll)s, m.fsp_id, 'digital', 40.70, 'approved', 0, FALSE,
           m.company_id, m.currency_id, 1, now(), 1, now()
      FROM spp_program_membership m
     WHERE m.program_id = %(program)s AND m.fsp_id IS NOT NULL
\"\"\", reference=env["spp.payment"]._spp_reference_sql(), cycle=cycle.id,
    payroll=payroll.id, program=program.id))
env.cr.execute("ANALYZE spp_payment")
with guarded_write("approval"):
    payroll.write({{"approval_state": "approved"}})
env.invalidate_all()

account = env["account.account"]
def make(code, kind):
    return account.search([("code", "=", code)], limit=1) or account.create(
        {{"name": f"bench {{code}}", "code": code, "account_type": kind}})
journal = env["account.journal"].search([("code", "=", "SPPB")], limit=1) or env[
    "account.journal"].create({{"name": "bench", "code": "SPPB", "type": "general"}})
with guarded_write("approval"):
    program.write({{"account_posting": True, "account_journal_id": journal.id,
                   "account_expense_id": make("SPPB6", "expense").id,
                   "account_fund_id": make("SPPB1", "equity").id}})
clearing = make("SPPB2", "asset_current")
env["spp.fsp"].search([]).write({{"account_clearing_id": clearing.id}})
env.cr.commit()

env.cr.execute("SELECT count(*), count(DISTINCT fsp_id) FROM spp_payment "
               "WHERE payroll_id = %s AND state = 'approved'", [payroll.id])
sent, fsps = env.cr.fetchone()
print(f"memberships: {{members:,}}; payments sent: {{sent:,}}; FSPs: {{fsps}}; "
      f"load average: {{os.getloadavg()[0]:.2f}}")
steps = {{}}
time_steps(type(env["spp.payroll"]), ["_spp_account_amounts", "_spp_account_posted"],
           steps)
# What a run sending every payable payment posts from (spp.payroll.run._spp_start):
# a condition, not a million-id array.
sending = SQL("p.state = 'approved' AND NOT COALESCE(p.is_quarantined, FALSE)")
BAR = 10.0  # seconds an entry may take, whatever the payroll's size
figures = []
def entry(label, event, **kwargs):
    moves, seconds = timed(label, lambda: payroll._spp_account_post(event, **kwargs),
                           sent)
    lines = len(moves.line_ids)
    print(f"  {{len(moves)}} entries, {{lines}} lines posted; of which "
          + ", ".join(f"{{k}} {{sum(v):.2f}} s" for k, v in steps.items()))
    steps.clear()
    figures.append((label, len(moves), lines, seconds))
    env.cr.commit()
entry("execution entry", "execution", sending=sending)

# Outcomes as a reconciliation would leave them (not measured).
env.cr.execute(\"\"\"
    UPDATE spp_payment SET attempt_count = 1,
           state = CASE WHEN id %% 10 < 7 THEN 'paid'
                        WHEN id %% 10 < 9 THEN 'failed' ELSE 'sent' END,
           paid_amount = CASE WHEN id %% 10 < 7 THEN amount END
     WHERE payroll_id = %s AND state = 'approved'\"\"\", [payroll.id])
env.invalidate_all()
env.cr.commit()
entry("reconciliation entry", "reconciliation")
report = env["spp.account.report"].create({{"program_id": program.id}})
timed("accounting report", report.action_compute, sent)
print(f"  ties: {{report.ties}}; load average: {{os.getloadavg()[0]:.2f}}")
env.cr.commit()
handful = all(0 < count <= fsps for _label, count, _lines, _s in figures)
fast = all(seconds <= BAR for *_rest, seconds in figures)
print(f"bar: {{sent:,}} payments posts in seconds (each entry <= {{BAR:.0f}} s, "
      f"at most one entry per FSP): {{'met' if handful and fast else 'NOT met'}}; "
      + "; ".join(f"{{label}} {{s:.1f}} s, {{n}} entries / {{lines}} lines"
                  for label, n, lines, s in figures)
      + f"; load average: {{os.getloadavg()[0]:.2f}}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_account")
    args = parser.parse_args()
    run_on_members(args, CODE.format(), addons="spp_payment_demo,spp_payment_account")


if __name__ == "__main__":
    main()

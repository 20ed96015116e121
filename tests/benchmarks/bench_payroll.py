#!/usr/bin/env python3
"""Benchmark: payroll of 1,000,000 memberships (issue: national-scale payroll).

    python3 tests/benchmarks/bench_payroll.py [--members 1000000] [--sample 50000]

A cycle of a fixed amount, three variable components (disability top-up, amount per
day worked, a fee credit outside the cap), a cap per payment and the total
entitlement cap of a balance program. Prints wall time and payments per second of
the dry run, of generation (and of its duplicate flagging), and of the ORM's batch
create() on a sample, extrapolated, as a ratio; each step of generation, and the
physical limit (the same rows written by one INSERT ... SELECT and by COPY).
Bars: 1,000,000 payments in at most 20 s, at least 50x the ORM.
"""

import argparse

from odoo_runner import (
    EXPLAIN_CODE,
    explained_statements,
    member_arguments,
    run_on_members,
)

CODE = """
from odoo.addons.spp_payment_base.tools import guarded_write

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
with guarded_write("approval"):
    program.write({{"is_balance_based": True, "missed_payment_policy": "none"}})
env.cr.execute("UPDATE spp_program_membership SET channel = 'digital', "
               "entitled_total = 1000, balance = 1000 - paid_total")
env.invalidate_all()
members = env["spp.program.membership"].search_count([("program_id", "=", program.id)])
days = env["ir.model.fields"]._get("spp.program.membership", "days_worked")
cycle = approved_cycle({{
    "name": f"bench {{time.time()}}", "program_id": program.id,
    "date_start": "2030-01-01", "date_end": "2030-01-31", "fixed_amount": 40.0,
    "has_cap": True, "cap_amount": 75.0,
    "rule_ids": [
        (0, 0, {{"name": "Disability", "code": "dis", "amount": 15.0,
                "condition": "[('partner_id.has_disability', '=', True)]"}}),
        (0, 0, {{"name": "Per day", "code": "day", "amount": 2.5,
                "multiplier_field_id": days.id}}),
        (0, 0, {{"name": "Fee", "code": "fee", "amount": 0.7,
                "counts_toward_cap": False}}),
    ],
}})
payroll = env["spp.payroll"].create({{"name": "bench", "cycle_id": cycle.id}})
env.cr.commit()

import os
import odoo.sql_db
# The registry exists long before payday: its rows vacuumed, and the pages its
# creation dirtied written out (not a checkpoint in the middle of generation).
with odoo.sql_db.db_connect(env.cr.dbname).cursor() as maintenance:
    maintenance._cnx.autocommit = True
    for table in ("res_partner", "res_partner_bank", "spp_program_membership",
                  "spp_payment"):
        maintenance.execute(f"VACUUM ANALYZE {{table}}")
    maintenance.execute("CHECKPOINT")
print(f"memberships: {{members:,}}  loadavg {{os.getloadavg()}}")
steps = {{}}
PAYROLL_STEPS = ("_spp_serialize_balance", "_spp_compute_entitlements",
                 "_spp_fetch_rows", "_spp_rule_matches", "_spp_missed_counts",
                 "_spp_insert_payments", "_spp_write_members",
                 "_spp_write_profiles", "_spp_record_contributor",
                 "_spp_flag_duplicates", "_spp_flag_quarantine",
                 "_spp_move_out_flagged", "_spp_live_totals")
time_steps(type(payroll), [n for n in PAYROLL_STEPS if hasattr(payroll, n)], steps)
preview, _ = timed("dry run", payroll.action_preview, members)
print(f"  dry run: {{preview['payments']:,}} payments, total {{preview['amount']}}, "
      f"capped {{preview['capped']:,}}, over balance {{preview['over_balance']:,}}")
steps.clear()
if {explain}:
    # The plans of the big statements, with their triggers, in the server log.
    exec(EXPLAIN_CODE)
def generate():
    payroll.action_generate()
    env.flush_all()  # the stored totals are counted here
_, generation = timed("generation (all steps)", generate, members)
for name in PAYROLL_STEPS:
    if name in steps:
        print(f"  step {{name:<30}} {{sum(steps[name]):8.2f}} s  x{{len(steps[name])}}")
payroll.invalidate_recordset()
count = payroll.payment_count
_, flagging = timed("  of which: duplicate flags", payroll._spp_flag_duplicates, count)
env.cr.commit()
print(f"  generated: {{count:,}} payments, {{payroll.flagged_count:,}} flagged, "
      f"total {{payroll.total_amount:,.2f}}")

# The physical limit: the same rows, as wide, written into spp_payment (its
# indexes and key triggers, the keys checked by the statement as generation's
# are) by one INSERT ... SELECT, then by COPY, in another cycle; rolled back.
import io
from odoo.addons.spp_payment_base.tools import keys_checked_by_statement
cycle3 = cycle.copy({{"name": "physical limit", "date_start": "2032-01-01",
                     "date_end": "2032-01-31"}})
env.flush_all()
env.cr.execute("SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) "
               "FROM pg_attribute WHERE attrelid = 'spp_payment'::regclass "
               "AND attnum > 0 AND NOT attisdropped AND attname NOT IN "
               "('id', 'reference', 'cycle_id', 'live_cycle_id')")
others = env.cr.fetchone()[0]
env.cr.execute("SAVEPOINT limit_probe")
guards = {{"spp_program": [program.id], "spp_payroll": [payroll.id]}}
start = time.perf_counter()
with keys_checked_by_statement(env.cr, "spp_payment", guards):
    env.cr.execute(f"INSERT INTO spp_payment "
                   f"(reference, cycle_id, live_cycle_id, {{others}}) "
                   f"SELECT reference || '-L', %s, %s, {{others}} FROM spp_payment "
                   f"WHERE payroll_id = %s", (cycle3.id, cycle3.id, payroll.id))
limit_insert = time.perf_counter() - start
env.cr.execute("ROLLBACK TO SAVEPOINT limit_probe")
buffer = io.StringIO()
env.cr._obj.copy_expert(
    f"COPY (SELECT reference || '-L', {{cycle3.id}}, {{cycle3.id}}, {{others}} FROM "
    f"spp_payment WHERE payroll_id = {{payroll.id}}) TO STDOUT", buffer)
buffer.seek(0)
start = time.perf_counter()
with keys_checked_by_statement(env.cr, "spp_payment", guards):
    env.cr._obj.copy_expert(
        f"COPY spp_payment (reference, cycle_id, live_cycle_id, {{others}}) "
        f"FROM STDIN", buffer)
limit_copy = time.perf_counter() - start
env.cr.execute("ROLLBACK TO SAVEPOINT limit_probe")
limit = min(limit_insert, limit_copy)
print(f"{{'physical limit: INSERT..SELECT':<28}} {{limit_insert:8.1f}} s  "
      f"{{count / limit_insert:12,.0f}} payments/s")
print(f"{{'physical limit: COPY':<28}} {{limit_copy:8.1f}} s  "
      f"{{count / limit_copy:12,.0f}} payments/s")
print(f"generation is {{generation / limit:.2f}}x the physical limit "
      f"({{generation - limit:.1f}} s above writing its rows)")
env.cr.rollback()

# The same payments through the ORM's batch create(), on a sample.
sample = env["spp.program.membership"].search(
    [("program_id", "=", program.id)], limit={sample})
cycle2 = cycle.copy({{"name": "orm sample", "date_start": "2031-01-01",
                     "date_end": "2031-01-31"}})
vals = [{{"program_id": program.id, "membership_id": m.id,
          "partner_id": m.partner_id.id, "fsp_id": m.fsp_id.id,
          "cycle_id": cycle2.id, "amount": 40.0,
          "amount_breakdown": {{"fixed": "40.00"}}}} for m in sample]
start = time.perf_counter()
env["spp.payment"].create(vals)
env.flush_all()
orm = time.perf_counter() - start
env.cr.rollback()
orm_rate = len(vals) / orm
print(f"{{'ORM create() sample':<28}} {{orm:8.1f}} s  {{orm_rate:12,.0f}} payments/s "
      f"({{len(vals):,}} payments)")
extrapolated = members / orm_rate
print(f"ORM for {{members:,}} (extrapolated): {{extrapolated:,.0f}} s")
print(f"set-based generation vs ORM: {{extrapolated / generation:.1f}}x faster")
print(f"loadavg {{os.getloadavg()}}")
print(f"bar: generation <= 20 s: {{'met' if generation <= 20 else 'NOT met'}}; "
      f">= 50x the ORM: {{'met' if extrapolated / generation >= 50 else 'NOT met'}}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_payroll")
    parser.add_argument("--sample", type=int, default=50_000)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of generation's statements over 200 ms",
    )
    args = parser.parse_args()
    code = CODE.format(sample=args.sample, explain=args.explain)
    with explained_statements(args.explain):
        run_on_members(args, f"EXPLAIN_CODE = {EXPLAIN_CODE!r}\n" + code)


if __name__ == "__main__":
    main()

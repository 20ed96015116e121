#!/usr/bin/env python3
# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark: a payment point payroll of 1,000,000 payments grouped into 5,000
payment points and split over the cycle's carry limit (issue #11).

    python3 tests/benchmarks/bench_ppm_payroll.py [--limit 1000000] [--points 5000] \\
        [--carry-limit 3000]

Every membership pays at payment points; each household lives in one of
``--points`` villages and each point's criteria select one village
(``[('partner_id.area_id', '=', village)]``), compiled by the ORM into SQL.
The carry limit makes most points two or three parts. Prints wall time of
generation, of the grouping's steps (matching the criteria, listing
decisions, splitting, writing parts and payments) and payments per second.
"""

import argparse

from odoo_runner import member_arguments, run_on_members

ADDONS = "spp_payment_demo,spp_payroll_ppm"
# One equality per point: one query per field for all points (the usual case).
EQUALITY = "[('partner_id.area_id', '=', {})]"
# Anything else: each point's domain compiled alone, UNION ALL by batches.
GENERIC = "[('partner_id.area_id', '=', {}), ('state', '=', 'enrolled')]"

CODE = """
import functools
timed = functools.partial(timed, width=36)

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
company = program.company_id
env.cr.execute("UPDATE spp_program_membership SET channel = 'payment_point' "
               "WHERE program_id = %s", [program.id])
members = env["spp.program.membership"].search_count([("program_id", "=", program.id)])

# Villages and their points (set up in SQL: not what is measured).
env.cr.execute("SELECT id FROM spp_area WHERE code LIKE 'BENCH-V-%%' ORDER BY id")
villages = [row[0] for row in env.cr.fetchall()]
if len(villages) < {points}:
    env["spp.area"].create([{{"name": f"Village {{n}}", "code": f"BENCH-V-{{n}}"}}
                            for n in range(len(villages), {points})])
    env.cr.execute("SELECT id FROM spp_area WHERE code LIKE 'BENCH-V-%%' ORDER BY id")
    villages = [row[0] for row in env.cr.fetchall()]
villages = villages[:{points}]
env.cr.execute(
    "UPDATE res_partner r SET area_id = (%s::int[])[1 + r.id %% %s] "
    "WHERE r.id IN (SELECT partner_id FROM spp_program_membership "
    "WHERE program_id = %s)", [villages, len(villages), program.id])
point_model = env["spp.payment.point"].with_context(tracking_disable=True)
existing = point_model.search([("code", "=like", "BENCH-%%")])
if len(existing) < len(villages):
    have = set(existing.mapped("code"))
    point_model.create([
        {{"name": f"Point {{n}}", "code": f"BENCH-{{n}}", "area_id": village,
          "program_id": program.id,
          "criteria_domain": {criteria}.format(village)}}
        for n, village in enumerate(villages) if f"BENCH-{{n}}" not in have])
    env.cr.execute("UPDATE spp_payment_point SET approval_state = 'approved' "
                   "WHERE code LIKE 'BENCH-%%'")
env.cr.execute("UPDATE spp_payment_point SET criteria_domain = "
               "replace(%s, '{{}}', area_id::text) WHERE code LIKE 'BENCH-%%'",
               [{criteria}])
env.invalidate_all()
fsp = env["spp.fsp"].search([("provider", "=", "cash")], limit=1) or env[
    "spp.fsp"].create({{"name": "bench cash", "provider": "cash", "state": "enabled"}})
cycle = approved_cycle({{
    "name": f"bench ppm {{time.time()}}", "program_id": program.id,
    "date_start": "2032-01-01", "date_end": "2032-01-31", "fixed_amount": 40.0,
    "ppm_carry_limit": {limit},
}})
payroll = env["spp.payroll"].create({{
    "name": "bench ppm", "cycle_id": cycle.id, "kind": "payment_point",
    "cash_fsp_id": fsp.id}})
env.cr.commit()
print(f"memberships: {{members:,}}, payment points: {{len(villages):,}}, "
      f"carry limit {{cycle.ppm_carry_limit:,.2f}}", flush=True)

# The grouping's steps, timed where they run.
steps = {{}}
time_steps(type(payroll), ("_spp_match_points", "_spp_list_issues",
                           "_spp_split_parts", "_spp_write_parts"), steps)

_, generation = timed("generation + grouping", payroll.action_generate, members)
payroll.invalidate_recordset()
count = payroll.payment_count
for name, seconds in steps.items():
    print(f"  of which {{name:<27}} {{seconds[-1]:8.1f}} s", flush=True)
grouped_in = sum(seconds[-1] for seconds in steps.values())
print(f"  grouping steps together            {{grouped_in:8.1f}} s  "
      f"{{count / grouped_in:12,.0f}} payments/s", flush=True)
env.cr.commit()
steps.clear()
_, grouping = timed("grouping again", payroll.action_group_points, count)
for name, seconds in steps.items():
    print(f"  of which {{name:<27}} {{seconds[-1]:8.1f}} s", flush=True)
env.cr.execute(
    "SELECT COUNT(*), COUNT(DISTINCT payment_point_id), MAX(part_no), "
    "MAX(amount_total), SUM(payment_count), SUM(amount_total) "
    "FROM spp_payroll_point WHERE payroll_id = %s", [payroll.id])
parts, points_used, most, biggest, grouped, total = env.cr.fetchone()
print(f"payments: {{count:,}}, grouped {{grouped:,}} into {{parts:,}} parts of "
      f"{{points_used:,}} points (at most {{most}} parts per point), largest part "
      f"{{biggest:,.2f}} (limit {{cycle.ppm_carry_limit:,.2f}}: "
      f"{{'within' if biggest <= cycle.ppm_carry_limit else 'EXCEEDED'}}), "
      f"total {{total:,.2f}}; decisions listed: {{len(payroll.point_issue_ids):,}}")
env.cr.execute("SELECT COUNT(*) FROM spp_payment WHERE payroll_id = %s "
               "AND payroll_point_id IS NULL", [payroll.id])
print(f"payments without a part: {{env.cr.fetchone()[0]:,}}")
_, assign = timed("assign PPMs (none exist: a no-op)", payroll.action_assign_ppms)
env.cr.commit()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_ppm_payroll")
    parser.add_argument("--points", type=int, default=5_000)
    parser.add_argument("--carry-limit", type=float, default=3_000.0)
    parser.add_argument(
        "--generic",
        action="store_true",
        help="criteria of two conditions: each point's domain compiled alone",
    )
    args = parser.parse_args()
    run_on_members(
        args,
        CODE.format(
            points=args.points,
            limit=args.carry_limit,
            criteria=repr(GENERIC if args.generic else EQUALITY),
        ),
        addons=ADDONS,
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark: voucher generation for a 1,000,000-payment voucher payroll (#12).

    nice python3 tests/benchmarks/bench_vouchers.py [--members 1000000] \\
        [--sample 10000] [--reuse [--payments 10000]]

Every membership of the demo program is moved to the voucher channel; a voucher
payroll is generated and submitted by the Program Officer and approved by the
Finance Manager(s) (maker-checker: other users). Prints the payments generated,
the approval's wall time split into the lock of the payments (their move to
approved or cancelled, with its event log) and the creation of the vouchers
(SQL, with their HMAC codes), vouchers per second, the HMAC codes alone, the
signed tokens of a sample (printing or sending time), and the size of the
spp_voucher table.
"""

import argparse

from odoo_runner import member_arguments, run_on_members

ADDONS = "spp_payment_demo,spp_voucher"

CODE = """
from spp_payment_core import voucher_token as vt
from odoo.tools import SQL
from odoo.addons.spp_voucher.models.spp_voucher import code_sql

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
env.cr.execute("UPDATE spp_program_membership SET channel = 'voucher' "
               "WHERE program_id = %s", [program.id])
env.invalidate_all()
members = env["spp.program.membership"].search_count(
    [("program_id", "=", program.id), ("channel", "=", "voucher")])
# --payments: the first N memberships only (a small run on a big database).
member_domain = "[]"
if 0 < {payments} < members:
    env.cr.execute("SELECT id FROM spp_program_membership WHERE program_id = %s "
                   "ORDER BY id OFFSET %s LIMIT 1", [program.id, {payments} - 1])
    member_domain = repr([("id", "<=", env.cr.fetchone()[0])])
    members = {payments}
users = {{login: env["res.users"].search([("login", "=", login)])
         for login in ("officer", "manager", "manager2")}}
cycle = approved_cycle({{
    "name": f"bench vouchers {{time.time()}}", "program_id": program.id,
    "date_start": "2033-01-01", "date_end": "2033-01-31", "fixed_amount": 40.0,
}})
payroll = env["spp.payroll"].with_user(users["officer"]).create(
    {{"name": "bench vouchers", "cycle_id": cycle.id, "kind": "voucher",
      "member_domain": member_domain}})
env.cr.commit()
print(f"memberships on the voucher channel: {{members:,}}", flush=True)

timed("generation", payroll.action_generate, members)
env.cr.execute("SELECT COUNT(*), COUNT(*) FILTER (WHERE entitlement_rejected) "
               "FROM spp_payment WHERE payroll_id = %s", [payroll.id])
payments, rejected = env.cr.fetchone()
print(f"payments generated: {{payments:,}} ({{rejected:,}} rejected by the rules)")
payroll.action_submit()
env.cr.commit()

# The approval, by checkers who did not prepare it, its two parts timed where
# they run.
steps = {{}}
time_steps(type(env["spp.payment"]), ("_set_approved", "_set_cancelled"), steps)
time_steps(type(env["spp.voucher"]), ("_spp_generate",), steps)
approval = 0.0
for login in ("manager", "manager2"):
    if payroll.approval_state != "submitted":
        break
    _, seconds = timed(f"approval by {{login}}",
                       payroll.with_user(users[login]).action_approve, payments)
    approval += seconds
assert payroll.approval_state == "approved", payroll.approval_state
lock = sum(sum(steps.get(name, [])) for name in ("_set_approved", "_set_cancelled"))
creation = sum(steps["_spp_generate"])
env.cr.execute("SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM spp_voucher "
               "WHERE payment_id IN (SELECT id FROM spp_payment "
               "WHERE payroll_id = %s)", [payroll.id])
vouchers, total = env.cr.fetchone()
print(f"approval total               {{approval:8.1f}} s")
print(f"  of which lock (payments approved/cancelled) {{lock:8.1f}} s")
print(f"  of which voucher creation  {{creation:8.1f}} s  "
      f"{{vouchers / creation:12,.0f}} vouchers/s")
print(f"  rest (reviews, chatter)    {{approval - lock - creation:8.1f}} s")
print(f"vouchers issued: {{vouchers:,}}, total {{total:,.2f}}")
assert vouchers == payments - rejected, (vouchers, payments, rejected)

# The HMAC codes the creation derived, alone: the same SQL over the same ids.
inner, outer = vt.hmac_pads(program._spp_voucher_secret())
env.cr.execute("SELECT MIN(id), MAX(id) FROM spp_voucher WHERE cycle_id = %s",
               [cycle.id])
first, last = env.cr.fetchone()
codes_sql = SQL(
    "SELECT COUNT(DISTINCT c) FROM (SELECT %s AS c FROM spp_voucher v "
    "WHERE v.cycle_id = %s) codes",
    code_sql(inner, outer, SQL("v.id")), cycle.id)
(distinct,), seconds = timed("  of which HMAC codes (SQL)",
                             lambda: (env.cr.execute(codes_sql), env.cr.fetchone())[1],
                             vouchers, unit="codes")
print(f"  distinct codes: {{distinct:,}} of {{vouchers:,}}")

# Code and signed token of a sample, as printing cards or sending does.
sample = env["spp.voucher"].search([("cycle_id", "=", cycle.id)], limit={sample})
secrets, seconds = timed("signed tokens (sample)", sample._spp_secrets,
                         len(sample), unit="tokens")
code, token = secrets[sample[:1].id]
assert vt.code_hash(code) == sample[:1].code_hash
print(f"  tokens for all {{vouchers:,}} (extrapolated): "
      f"{{vouchers / len(sample) * seconds:,.0f}} s; one token: {{len(token)}} chars")

env.cr.execute("SELECT pg_total_relation_size('spp_voucher'), "
               "pg_relation_size('spp_voucher'), pg_indexes_size('spp_voucher'), "
               "(SELECT COUNT(*) FROM spp_voucher)")
size, heap, indexes, rows = env.cr.fetchone()
mb = 1024 ** 2
print(f"spp_voucher: {{rows:,}} rows, {{size / mb:,.0f}} MB "
      f"(table {{heap / mb:,.0f}} MB, indexes {{indexes / mb:,.0f}} MB, "
      f"{{size / rows:,.0f}} bytes per voucher)")
env.cr.commit()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_vouchers")
    parser.add_argument(
        "--payments",
        type=int,
        default=0,
        help="pay the first N memberships only (default: all of them)",
    )
    parser.add_argument("--sample", type=int, default=10_000, help="tokens signed")
    args = parser.parse_args()
    run_on_members(
        args, CODE.format(payments=args.payments, sample=args.sample), addons=ADDONS
    )


if __name__ == "__main__":
    main()

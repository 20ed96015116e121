#!/usr/bin/env python3
"""Benchmark: approval of a payroll of 1,000,000 payments (issue 15, "approving
(lock of 1,000,000 payments) in seconds, not minutes").

    python3 tests/benchmarks/bench_lifecycle.py [--members 1000000] [--reuse]

Generates a payroll of every membership of the demo program (not measured
here: see bench_payroll.py), then, through the real action methods and as the
demo users: the Program Officer submits it and Finance Managers approve it
(a second one when the approval policy asks for two), the last approval
locking and approving every payment. Prints the wall time of each phase, the
steps of the final approval, the load average, and the bar (seconds, not
minutes: < 60 s). The work is rolled back at the end, so the run repeats on the
same memberships with ``--reuse``.
"""

import argparse

from odoo_runner import member_arguments, run_on_members

CODE = """
import os
from odoo.tools import SQL

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
users = {{login: env["res.users"].search([("login", "=", login)])
         for login in ("officer", "manager", "manager2")}}
cycle = approved_cycle({{
    "name": f"bench lifecycle {{time.time()}}", "program_id": program.id,
    "date_start": "2032-01-01", "date_end": "2032-01-31", "fixed_amount": 40.0,
}})
payroll = env["spp.payroll"].with_user(users["officer"]).create(
    {{"name": "bench lifecycle", "cycle_id": cycle.id}})
payroll.action_generate()
env.cr.commit()  # generated in an earlier transaction, as in production
payroll.invalidate_recordset()
count = payroll.payment_count
print(f"payroll {{payroll.name}}: {{count:,}} payments (generated, not timed here)")
print(f"load average before: {{os.getloadavg()}}")

steps = {{}}
time_steps(type(env["spp.payroll"]), (
    "_spp_check_can_submit", "_on_spp_submitted", "_spp_check_can_approve",
    "_spp_freeze_rates", "_spp_refresh_status"), steps)
time_steps(type(env["spp.payment"]), ("_set_cancelled", "_set_approved"), steps)

def report_steps():
    for name, seconds in steps.items():
        print(f"    {{name:<28}} {{sum(seconds):8.1f}} s ({{len(seconds)}} call(s))")
    steps.clear()

_, submission = timed("submit (Program Officer)",
                      payroll.with_user(users["officer"]).action_submit, count)
report_steps()
approval = 0.0
for login in ("manager", "manager2"):
    payroll.invalidate_recordset()
    if payroll.approval_state != "submitted":
        break
    _, seconds = timed(f"approve ({{login}}, Finance Manager)",
                       payroll.with_user(users[login]).action_approve, count)
    report_steps()
    approval += seconds
payroll.invalidate_recordset()
assert payroll.approval_state == "approved", payroll.approval_state
env.cr.execute(SQL("SELECT state, COUNT(*) FROM spp_payment WHERE payroll_id = %s "
                   "GROUP BY state ORDER BY state", payroll.id))
print("  payments now:", dict(env.cr.fetchall()), "payroll:", payroll.status)
print(f"submission and approval: {{submission + approval:.1f}} s")
print(f"load average after: {{os.getloadavg()}}")
verdict = "met" if submission + approval < 60 else "NOT met"
print(f"bar: approval of {{count:,}} payments in seconds (< 60 s): {{verdict}}")
env.cr.rollback()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_payroll")
    args = parser.parse_args()
    run_on_members(args, CODE.format())


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark: an ad-hoc payroll from a 100,000-row CSV upload.

    python3 tests/benchmarks/bench_adhoc.py [--rows 100000] [--new-share 0.5]

Half the rows (``--new-share``) describe new payees, the others name demo
registrants (a third of whom are not yet members of the program). Prints the wall
time and rows per second of: the whole-file check (read, look-ups, validation),
the import (memberships, payments, staging lines, duplicate flags), and the
approval (new payees, memberships and payments created, every payment approved).
"""

import argparse

from odoo_runner import run

CODE = """
import base64, time
from odoo.addons.spp_payment_base.tools import guarded_write

rows = {rows}
new_rows = int(rows * {new_share})
registrant_rows = rows - new_rows
env.cr.execute("SELECT count(*) FROM res_partner WHERE is_registrant "
               "AND registrant_type = 'household'")
if env.cr.fetchone()[0] < registrant_rows:
    env["spp.demo.generator"]._generate(households=registrant_rows, max_members=1)
    env.cr.commit()
program = env["spp.program"].search([("code", "=", "DEMO-CT")], limit=1)
with guarded_write("approval"):
    program.write({{"is_balance_based": False}})
env.cr.execute(
    "SELECT r.registrant_number FROM res_partner r WHERE r.is_registrant "
    "AND r.registrant_type = 'household' AND r.registrant_number IS NOT NULL "
    "ORDER BY r.id LIMIT %s", [registrant_rows])
numbers = [n for (n,) in env.cr.fetchall()]
# A third of them leave the program: the upload enrols them (draft membership).
env.cr.execute(
    "DELETE FROM spp_program_membership m USING res_partner r "
    "WHERE m.partner_id = r.id AND m.program_id = %s "
    "AND r.registrant_number = ANY(%s) AND NOT EXISTS "
    "(SELECT 1 FROM spp_payment p WHERE p.membership_id = m.id)",
    [program.id, numbers[::3]])
fsp = env["spp.fsp"].search([("company_id", "in", [program.company_id.id, False])],
                            limit=1)
cycle = env["spp.payment.cycle"].create({{
    "name": f"adhoc bench {{time.time()}}", "program_id": program.id,
    "date_start": "2032-01-01", "date_end": "2032-01-31", "fixed_amount": 1.0}})
cycle.action_submit()
with guarded_write("approval"):
    cycle.write({{"approval_state": "approved"}})
officer = env.ref("base.user_admin")
payroll = env["spp.payroll"].with_user(officer).create(
    {{"name": "adhoc bench", "cycle_id": cycle.id, "kind": "adhoc"}})
lines = ["registrant_id,name,phone,national_id,amount,channel,destination,fsp"]
lines += [f"{{n}},,,,{{10 + i % 90}}.50,payment_point,,"
          for i, n in enumerate(numbers)]
lines += [f",Payee {{i}},+2559{{i:08d}},ADHOC-{{i:08d}},{{25 + i % 50}}.25,"
          f"digital,+2559{{i:08d}},{{fsp.name}}" for i in range(new_rows)]
raw = ("\\n".join(lines) + "\\n").encode()
print(f"file: {{len(lines) - 1:,}} rows ({{registrant_rows:,}} registrants, "
      f"{{new_rows:,}} new payees), {{len(raw) / 1e6:.1f}} MB", flush=True)
env.cr.commit()

def timed(label, function, count):
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    print(f"{{label:<44}} {{seconds:8.1f}} s  {{count / seconds:10,.0f}} rows/s",
          flush=True)
    return result, seconds

# Time spent in each step of the import and the approval.
spent = {{}}
Payroll = type(payroll)
STEPS = ("_spp_adhoc_insert_memberships", "_spp_adhoc_insert_payments",
         "_spp_adhoc_insert_lines", "_spp_adhoc_flag_lines", "_spp_run_checks",
         "_spp_adhoc_create_payees")

def measured(name, method):
    def wrapper(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return method(self, *args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0) + time.perf_counter() - start
    return wrapper

for step in STEPS:
    setattr(Payroll, step, measured(step, getattr(Payroll, step)))

def steps(names):
    for name in names:
        print(f"    {{name:<40}} {{spent.get(name, 0):8.1f}} s")

wizard = env["spp.payroll.adhoc.import"].with_user(officer).create(
    {{"payroll_id": payroll.id, "file_name": "bench.csv",
      "data": base64.b64encode(raw)}})
result, check = timed("check the whole file", lambda: wizard._spp_validate(raw), rows)
assert not result.errors, [str(e) for e in result.errors[:3]]
_, total = timed("upload (check + import)", wizard.action_import, rows)
assert wizard.state == "done", wizard.error_ids[:3].mapped("reason")
print(f"  of which import: {{total - check:.1f}} s "
      f"({{rows / (total - check):,.0f}} rows/s)")
payroll.invalidate_recordset()
steps(STEPS[:-1])
print(f"  {{payroll.payment_count:,}} payments, {{payroll.adhoc_staged_count:,}} "
      f"new payees staged, {{payroll.flagged_count:,}} flagged")
payroll.with_user(officer).action_submit()
with guarded_write("approval"):
    payroll.write({{"approval_state": "approved"}})
_, approval = timed("approval (payees created, all approved)",
                    payroll._on_spp_approved, rows)
steps(STEPS[-1:])
print(f"    {{'approval of every payment (spp_payroll)':<40}} "
      f"{{approval - spent['_spp_adhoc_create_payees']:8.1f}} s")
payroll.invalidate_recordset()
print(f"  {{payroll.payment_count:,}} payments, total {{payroll.total_amount:,.2f}}")
env.cr.rollback()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--new-share", type=float, default=0.5)
    parser.add_argument("--database", default="spp_bench_adhoc")
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(rows=args.rows, new_share=args.new_share),
        addons="spp_payment_demo,spp_payroll_adhoc",
    )


if __name__ == "__main__":
    main()

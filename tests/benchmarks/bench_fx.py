#!/usr/bin/env python3
"""Benchmark: converting a payroll of 1,000,000 payments to its FSPs' currencies
(issue 14, multi-currency: "adds seconds, not minutes").

    python3 tests/benchmarks/bench_fx.py [--members 1000000] [--reuse]

The program pays in the company's currency; half its members are paid by an FSP
in KES, half by one in the program's currency. Prints the wall time of the
approval's conversion (rate frozen from Odoo's rates, then the one UPDATE that
sets every payment's FSP amount and currency), beside the approval's state
transition of the same payments for scale, and the load average (the machine
is shared).
"""

import argparse

from odoo_runner import member_arguments, run_on_members

CODE = """
import os
from odoo.tools import SQL

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
company = program.company_id
kes = env.ref("base.KES")
if kes == program.currency_id:
    kes = env.ref("base.EUR")
kes.active = True
env["res.currency.rate"].search([("currency_id", "=", kes.id)]).unlink()
env["res.currency.rate"].create(
    {{"currency_id": kes.id, "rate": 129.37, "name": "2029-12-31",
      "company_id": company.root_id.id}}
)
home = env["spp.fsp"].create({{"name": "bench home", "provider": "manual",
                              "state": "enabled",
                              "currency_id": program.currency_id.id}})
foreign = env["spp.fsp"].create({{"name": "bench KES", "provider": "manual",
                                 "state": "enabled", "currency_id": kes.id}})
env.cr.execute(
    SQL("UPDATE spp_program_membership SET channel = 'digital', "
        "fsp_id = CASE WHEN id %% 2 = 0 THEN %s ELSE %s END "
        "WHERE program_id = %s", foreign.id, home.id, program.id)
)
env.invalidate_all()
members = env["spp.program.membership"].search_count([("program_id", "=", program.id)])
cycle = approved_cycle({{
    "name": f"bench fx {{time.time()}}", "program_id": program.id,
    "date_start": "2030-01-01", "date_end": "2030-01-31", "fixed_amount": 40.37,
}})
payroll = env["spp.payroll"].create({{"name": "bench fx", "cycle_id": cycle.id}})
payroll.action_generate()
env.cr.commit()
payroll.invalidate_recordset()
count = payroll.payment_count
print(f"memberships: {{members:,}}, payments: {{count:,}} "
      f"({{count // 2:,}} converted to {{kes.name}})")
print(f"load average before: {{os.getloadavg()}}")
_, fx = timed("fx: freeze rate + UPDATE", payroll._spp_freeze_rates, count)
env.cr.commit()
payments = payroll._spp_payments_where(SQL("TRUE"))
_, moved = timed("approval transition (scale)", payments._set_approved, count)
env.cr.commit()
print(f"load average after: {{os.getloadavg()}}")
env.cr.execute(SQL(
    "SELECT fsp_currency_id, count(*), sum(amount)::text, sum(fsp_amount)::text "
    "FROM spp_payment WHERE payroll_id = %s GROUP BY 1", payroll.id))
for currency, n, total, fsp_total in env.cr.fetchall():
    print(f"  {{env['res.currency'].browse(currency).name}}: {{n:,}} payments, "
          f"program {{total}}, FSP {{fsp_total}}")
print(f"rate frozen: {{payroll.rate_ids.rate}} ({{payroll.rate_ids.source}})")
print(f"bar: conversion of {{count:,}} payments in seconds (< 60 s): "
      f"{{'met' if fx < 60 else 'NOT met'}}; "
      f"{{fx / moved:.2f}} x the approval transition")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    member_arguments(parser, "spp_bench_fx")
    args = parser.parse_args()
    run_on_members(args, CODE.format())


if __name__ == "__main__":
    main()

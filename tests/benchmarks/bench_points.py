#!/usr/bin/env python3
# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark: payment points at scale.

    python3 tests/benchmarks/bench_points.py [--households 50000] [--points 1000]

Spreads the demo households over ``--points`` villages (``city``), then prints the
wall time of: one point per village (the auto-creation wizard, every point
submitted), the check and import of a criteria CSV of as many rows, and the
matching-member counts of 80 points (one SQL count each).
"""

import argparse

from odoo_runner import run

CODE = """
import base64, time

if not env["spp.program"].search_count([("code", "=", "DEMO-CT")]):
    env["spp.demo.generator"]._generate(households={households})
    env.cr.commit()
program = env["spp.program"].search([("code", "=", "DEMO-CT")], limit=1) or env[
    "spp.program"].search([], limit=1)
env.cr.execute(
    "UPDATE res_partner SET city = 'V' || lpad((id %% %s)::text, 5, '0') "
    "WHERE is_registrant AND registrant_type = 'household'", [{points}])
env.cr.execute("DELETE FROM spp_payment_point")
env.cr.execute("DELETE FROM spp_approval_contributor "
               "WHERE res_model = 'spp.payment.point'")
env.invalidate_all()
env.cr.execute("SELECT count(*) FROM spp_program_membership WHERE program_id = %s",
               [program.id])
memberships = env.cr.fetchone()[0]
print(f"program {{program.name}}: {{memberships:,}} memberships, "
      f"{points:,} villages", flush=True)
officer = env.ref("base.user_admin")

def timed(label, function, rows):
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    print(f"{{label:<40}} {{seconds:8.1f}} s  {{rows / seconds:10,.0f}} points/s",
          flush=True)
    return result

wizard = env["spp.payment.point.generate"].with_user(officer).create(
    {{"program_id": program.id, "field_path": "partner_id.city",
      "code_prefix": "GEN"}})
timed("one point per village (and submit)", wizard.action_generate, {points})
print(f"  created {{wizard.created_count:,}}, skipped {{wizard.skipped_count:,}}")

lines = ["code,name,latitude,longitude,capacity,partner_id.city"]
lines += [f"IMP-{{n}},Point {{n}},-1.{{n:04d}},36.{{n:04d}},500,V{{n:05d}}"
          for n in range({points})]
raw = ("\\n".join(lines) + "\\n").encode()
upload = env["spp.payment.point.import"].with_user(officer).create(
    {{"program_id": program.id, "file_name": "points.csv",
      "data": base64.b64encode(raw)}})
rows, errors, _areas = timed("check criteria CSV", lambda: upload._spp_parse(raw),
                             {points})
assert not errors, errors[:3]
timed("import criteria CSV (check, create, submit)", upload.action_import, {points})
assert upload.state == "done", upload.error_ids[:3].mapped("reason")

page = env["spp.payment.point"].search([], limit=80)
page.invalidate_recordset()
timed("matching-member counts of 80 points", lambda: page.mapped("member_count"), 80)
env.cr.rollback()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--households", type=int, default=50_000)
    parser.add_argument("--points", type=int, default=1_000)
    parser.add_argument("--database", default="spp_bench_points")
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(households=args.households, points=args.points),
        addons="spp_payment_demo,spp_payment_point",
    )


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: Excel audit export of a payroll of 1,000,000 payments (issue 13).

    python3 tests/benchmarks/bench_audit_export.py [--payments 1000000] [--reuse]

A payroll generated from the demo registry, its payments settled in SQL (paid,
failed, sent; one in five retried: two attempts), then exported by the queue
job's code path (spp.payment.audit.export._spp_export, progress written from a
cursor of its own per page). Prints seconds, rows per second and the peak
resident memory of the process (before and after the export: the memory the
export needs is the difference), and reads the file back to count its rows.
"""

import argparse

from odoo_runner import run

SETUP = """
import time
from odoo.addons.spp_payment_base.tools import guarded_write

env["spp.demo.generator"]._generate(households={payments}, max_members=1)
program = env["spp.program"].search([("code", "=", "DEMO-CT")])
env.cr.execute("UPDATE spp_program_membership SET channel = 'digital'")
env.invalidate_all()
cycle = env["spp.payment.cycle"].create({{
    "name": f"audit bench {{time.time()}}", "program_id": program.id,
    "date_start": "2030-01-01", "date_end": "2030-01-31", "fixed_amount": 40.0,
}})
cycle.action_submit()
with guarded_write("approval"):
    cycle.write({{"approval_state": "approved"}})
payroll = env["spp.payroll"].create({{"name": "audit bench", "cycle_id": cycle.id}})
payroll.action_generate()
env.flush_all()
# Settled in SQL, as the connectors would have left them: one payment in five
# failed once and was retried; the last attempt says where the payment is.
env.cr.execute('''
    UPDATE spp_payment SET
        state = CASE WHEN id %% 10 = 0 THEN 'failed'
                     WHEN id %% 10 = 1 THEN 'sent' ELSE 'paid' END,
        paid_amount = CASE WHEN id %% 10 > 1 THEN amount END,
        paid_date = CASE WHEN id %% 10 > 1 THEN now() at time zone 'utc' END,
        external_ref = CASE WHEN id %% 10 > 1 THEN 'RCPT-' || id END,
        status_reason = CASE WHEN id %% 10 = 0 THEN 'AC04 closed account' END
     WHERE payroll_id = %s''', [payroll.id])
env.cr.execute('''
    INSERT INTO spp_payment_attempt
        (payment_id, fsp_id, attempt_no, idempotency_key, state, fsp_txn_id,
         fsp_status_raw, fsp_reason_code, create_uid, create_date, write_uid,
         write_date)
    SELECT p.id, p.fsp_id, n.no, md5(p.id || '-' || n.no),
           CASE WHEN n.no < n.last THEN 'failed' ELSE p.state END,
           'TXN-' || p.id || '-' || n.no,
           CASE WHEN n.no < n.last OR p.state = 'failed' THEN 'Failed'
                ELSE 'Completed' END,
           CASE WHEN n.no < n.last OR p.state = 'failed' THEN 'AC04' END,
           1, now() at time zone 'utc', 1, now() at time zone 'utc'
      FROM spp_payment p
     CROSS JOIN LATERAL (
         SELECT g.no, CASE WHEN p.id %% 5 = 0 THEN 2 ELSE 1 END AS last
           FROM generate_series(1, CASE WHEN p.id %% 5 = 0 THEN 2 ELSE 1 END)
                AS g(no)
     ) n
     WHERE p.payroll_id = %s''', [payroll.id])
env.cr.execute('''
    UPDATE spp_payment p SET current_attempt_id = a.id
      FROM spp_payment_attempt a
     WHERE a.payment_id = p.id AND p.payroll_id = %s
       AND a.attempt_no = CASE WHEN p.id %% 5 = 0 THEN 2 ELSE 1 END''',
    [payroll.id])
env.cr.execute("ANALYZE spp_payment")
env.cr.execute("ANALYZE spp_payment_attempt")
env.cr.commit()
print(f"payroll {{payroll.id}}: {{payroll.payment_count:,}} payments", flush=True)
"""

CODE = """
import io
import resource
import time
import zipfile

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

payroll = env["spp.payroll"].search([("name", "=", "audit bench")], order="id desc",
                                    limit=1)
# A Finance Officer: destinations masked in SQL, as most exports are.
finance = env["res.users"].search([("login", "=", "finance")])
Export = env["spp.payment.audit.export"].with_user(finance)
export = Export.create({{"scope": "payroll", "payroll_id": payroll.id}})
env["ir.config_parameter"].sudo().set_param("spp_payment_audit.job_threshold", "0")
export.action_export()  # above the threshold: enqueued, not run
env.cr.commit()
print(f"state after the click: {{export.state}}; {{export.payment_total:,}} payments, "
      f"{{export.attempt_total:,}} attempts", flush=True)
before = peak_mb()
start = time.perf_counter()
export._job_export()  # what the queue job runs
seconds = time.perf_counter() - start
env.cr.commit()
export.invalidate_recordset()
after = peak_mb()
rows = export.rows_done
print(f"{{'audit export':<20}} {{seconds:8.1f}} s  {{rows / seconds:12,.0f}} rows/s "
      f"({{rows:,}} rows: {{export.payment_total:,}} payments + "
      f"{{export.attempt_total:,}} attempts)")
print(f"state {{export.state}}, progress {{export.rows_done:,}} / "
      f"{{export.rows_total:,}}, file {{export.attachment_id.file_size / 1e6:,.1f}} MB")
print(f"peak RSS: {{before:,.0f}} MB before the export, {{after:,.0f}} MB after "
      f"(+{{after - before:,.0f}} MB)")
# The file read back: the sheets' row counts from their XML, streamed
# (sheet1 is the summary; a sheet past Excel's row limit continues on the next).
data = export.attachment_id.raw
with zipfile.ZipFile(io.BytesIO(data)) as archive:
    names = sorted(n for n in archive.namelist()
                   if n.startswith("xl/worksheets/sheet") and n.endswith(".xml"))
    for name in names[1:]:
        count, tail = 0, b""
        with archive.open(name) as sheet:
            for chunk in iter(lambda: sheet.read(1 << 20), b""):
                # A tag cut between two chunks is counted once, in the joint.
                joined = tail + chunk
                count += joined.count(b"</row>")
                tail = joined[-5:]
                count -= tail.count(b"</row>")
            count += tail.count(b"</row>")
        print(f"  {{name}}: {{count - 1:,}} rows")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--payments", type=int, default=1_000_000)
    parser.add_argument("--database", default="spp_bench_audit")
    parser.add_argument(
        "--reuse", action="store_true", help="export the payroll of an earlier run"
    )
    args = parser.parse_args()
    addons = "spp_payment_demo,spp_payment_audit"
    if not args.reuse:
        run(args.database, SETUP.format(payments=args.payments), addons, fresh=True)
    run(args.database, CODE.format(), addons, update=args.reuse)


if __name__ == "__main__":
    main()

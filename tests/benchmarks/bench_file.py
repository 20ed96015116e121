#!/usr/bin/env python3
"""Benchmark: the file connector on a payroll of 1,000,000 payments.

    python3 tests/benchmarks/bench_file.py [--database spp_bench_payroll]

Needs the database of ``bench_payroll.py`` (run it first). Takes its latest payroll,
marks its payments sent to a file FSP (committed: the reply comes days later),
and prints wall time and rows per second of the CSV, XLSX and pain.001 exports,
and of the validation, storing and acceptance of a 1,000,000-row reply CSV
(bar: 30 s in all), with the CPU time Odoo and PostgreSQL spent on each and
the load average (the machine is shared).
"""

import argparse

from odoo_runner import EXPLAIN_CODE, explained_statements, run

CODE = """
import io, os, time
import odoo.sql_db
from odoo.addons.spp_payment_base.tools import guarded_write

env.cr.execute("SELECT payroll_id FROM spp_payment WHERE payroll_id IS NOT NULL "
               "ORDER BY id DESC LIMIT 1")
payroll = env["spp.payroll"].browse(env.cr.fetchone()[0])
fsp = env["spp.fsp"].search([("name", "=", "bench file bank")], limit=1) or env[
    "spp.fsp"].create({{
    "name": "bench file bank", "provider": "file", "state": "enabled",
    "iso_debtor_name": "Ministry", "iso_debtor_account": "KE12ABCD00000000001234567",
    "iso_debtor_bic": "ABCDKENAXXX",
    "file_column_ids": [(0, 0, {{"sequence": n, "field": f, "header": f}}) for n, f in
                        enumerate(["reference", "registrant_id", "name", "destination",
                                   "amount", "currency"])],
    "recon_status_map_ids": [(0, 0, {{"value": "paid", "outcome": "paid"}}),
                             (0, 0, {{"value": "failed", "outcome": "failed"}})],
}})
# Re-pointing a payroll's payments at another FSP is refused by spp_payroll's
# lock trigger once the payroll is submitted; the benchmark does it on purpose.
env.cr.execute("ALTER TABLE spp_payment DISABLE TRIGGER "
               "spp_payment_payroll_lock_update")
# A rerun starts again from approved payments with no attempt.
# (Without the foreign-key triggers: current_attempt_id has no index, on
# purpose, and its ON DELETE SET NULL would scan the payments once per attempt.)
env.cr.execute("SET session_replication_role = replica")
env.cr.execute("DELETE FROM spp_payment_attempt a USING spp_payment p "
               "WHERE p.id = a.payment_id AND p.payroll_id = %s", [payroll.id])
env.cr.execute("DELETE FROM spp_payment_overpayment o USING spp_payment p "
               "WHERE p.id = o.payment_id AND p.payroll_id = %s", [payroll.id])
env.cr.execute("SET session_replication_role = DEFAULT")
env.cr.execute("UPDATE spp_payment SET state = 'approved', fsp_id = %s, "
               "current_attempt_id = NULL "
               "WHERE payroll_id = %s AND NOT entitlement_rejected",
               [fsp.id, payroll.id])
env.cr.execute("ALTER TABLE spp_payment ENABLE TRIGGER "
               "spp_payment_payroll_lock_update")
env.cr.execute("UPDATE spp_payment SET state = 'cancelled' WHERE payroll_id = %s "
               "AND entitlement_rejected", [payroll.id])
env.invalidate_all()
# Sent through the file FSP by the guarded transitions, as execution does: a
# reply settles only payments whose current attempt went through its FSP.
env.cr.execute("SELECT id FROM spp_payment WHERE payroll_id = %s "
               "AND state = 'approved'", [payroll.id])
approved = env["spp.payment"].browse([r[0] for r in env.cr.fetchall()])
approved._set_queued()
approved._set_sent(reason="bench file")
# Sent in an earlier transaction, as in production, and vacuumed since.
env.cr.commit()
with odoo.sql_db.db_connect(env.cr.dbname).cursor() as maintenance:
    maintenance._cnx.autocommit = True
    maintenance.execute("VACUUM ANALYZE spp_payment")
    maintenance.execute("VACUUM ANALYZE spp_payment_attempt")
    # Days ago, so written out since: without this the checkpoint of the set-up's
    # writes (gigabytes) runs during the measured steps.
    maintenance.execute("CHECKPOINT")
env.invalidate_all()
env.cr.execute("SELECT id FROM spp_payment WHERE payroll_id = %s AND state = 'sent' "
               "ORDER BY id LIMIT %s", [payroll.id, {limit}])
ids = [r[0] for r in env.cr.fetchall()]
count = len(ids)
print(f"payroll {{payroll.name}}: {{count:,}} payments")
print(f"load average before: {{os.getloadavg()}}")
payment_files = env["spp.payment.file"]

env.cr.execute("SELECT pg_backend_pid()")
backend_stat = f"/proc/{{env.cr.fetchone()[0]}}/stat"


# CPU time of this process and of its PostgreSQL backend (same machine):
# what a phase costs, whatever the other load on the machine.
def cpu_seconds():
    with open(backend_stat) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return time.process_time(), backend


def timed(label, function, rows):
    start, (python, database) = time.perf_counter(), cpu_seconds()
    result = function()
    seconds = time.perf_counter() - start
    python_after, database_after = cpu_seconds()
    print(f"{{label:<34}} {{seconds:8.1f}} s  {{rows / seconds:12,.0f}} rows/s  "
          f"(CPU: Odoo {{python_after - python:.1f}} s, "
          f"PostgreSQL {{database_after - database:.1f}} s)", flush=True)
    return result, seconds

rows, fetching = timed("fetch payment rows (SQL)",
                       lambda: payment_files._spp_fetch_rows(ids), count)
results = {{}}
for file_format in {formats}:
    fsp.file_format = file_format
    record = payment_files.create({{"name": "bench", "fsp_id": fsp.id}})
    (content, n, total), seconds = timed(
        f"export {{file_format}}", lambda: record._spp_render(fsp, rows), count)
    results[file_format] = seconds
    print(f"  {{len(content) / 1e6:,.0f}} MB, {{n:,}} payments, total {{total}}")

rows = content = None  # what a worker would not hold either
# The FSP's reply: every payment paid but one in fifty failed.
env.cr.execute("SELECT reference, amount FROM spp_payment WHERE id = ANY(%s)", [ids])
reply = io.StringIO()
reply.write("reference,status,amount,date,receipt\\n")
for number, (reference, amount) in enumerate(env.cr.fetchall()):
    if number % 50:
        reply.write(f"{{reference}},paid,{{amount}},2026-11-20,R{{number}}\\n")
    else:
        reply.write(f"{{reference}},failed,,,\\n")
raw = reply.getvalue().encode()
print(f"reply CSV: {{len(raw) / 1e6:,.0f}} MB")
wizard = env["spp.reconciliation.import"].new({{
    "payroll_id": payroll.id, "fsp_id": fsp.id, "file_name": "reply.csv"}})
(kind, lines, errors, summary), validation = timed(
    "validate reply CSV", lambda: wizard._spp_validate(raw), count)
assert not errors, errors[:3]
batch, creation = timed("store reconciliation lines", lambda: env[
    "spp.reconciliation"]._spp_create_batch({{
        "name": "bench", "source": "file", "program_id": payroll.program_id.id,
        "payroll_id": payroll.id, "fsp_id": fsp.id}}, lines), count)
with guarded_write("approval"):
    batch.write({{"approval_state": "submitted"}})
# Where the acceptance's time goes, step by step.
def clock(model, name):
    cls = type(env[model])
    original = getattr(cls, name)

    def clocked(self, *args, **kwargs):
        start, (python, database) = time.perf_counter(), cpu_seconds()
        result = original(self, *args, **kwargs)
        python_after, database_after = cpu_seconds()
        print(f"    {{name:<30}} {{time.perf_counter() - start:6.1f}} s  "
              f"(CPU: Odoo {{python_after - python:.1f}} s, "
              f"PostgreSQL {{database_after - database:.1f}} s)", flush=True)
        return result

    setattr(cls, name, clocked)

for step in ("_spp_classify_lines", "_spp_refuse_foreign_lines",
             "_spp_record_overpayments",
             "_spp_sort_lines", "_spp_mark_stale_lines"):
    clock("spp.reconciliation", step)
clock("spp.payment", "_spp_transition")
if {explain}:
    exec(EXPLAIN_CODE)
_, acceptance = timed("accept (apply in bulk)", batch._spp_apply, count)
env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
               "GROUP BY state ORDER BY state", [ids])
print("  payments now:", dict(env.cr.fetchall()))
reconciliation = validation + creation + acceptance
print(f"CSV reconciliation, all steps: {{reconciliation:.1f}} s "
      f"({{count / reconciliation:,.0f}} rows/s)")
if "csv" in results:
    export = fetching + results["csv"]
    print(f"CSV export, rows fetched and written: {{export:.1f}} s")
    print(f"bar: CSV export < 60 s: {{'met' if export < 60 else 'NOT met'}}")
print(f"load average after: {{os.getloadavg()}}")
# Issue 15: validated, stored and accepted in at most 30 s.
verdict = "met" if reconciliation <= 30 else "NOT met"
print(f"bar: CSV reconciliation <= 30 s: {{verdict}}")
env.cr.rollback()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_payroll")
    parser.add_argument("--limit", type=int, default=1_000_000)
    parser.add_argument(
        "--formats",
        default="csv,xlsx,pain.001.001.03",
        help="export formats to time, comma-separated ('' for none)",
    )
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN ANALYZE of the acceptance's statements over 200 ms",
    )
    args = parser.parse_args()
    formats = tuple(f for f in args.formats.split(",") if f)
    code = CODE.format(limit=args.limit, formats=formats, explain=args.explain)
    with explained_statements(args.explain):
        run(
            args.database,
            f"EXPLAIN_CODE = {EXPLAIN_CODE!r}\n" + code,
            addons="spp_payment_file",
            update=True,
        )


if __name__ == "__main__":
    main()

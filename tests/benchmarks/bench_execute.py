#!/usr/bin/env python3
"""Benchmark: executing a payroll of 1,000,000 payments (issue 15) to the
``manual`` provider and to the file provider (one file) in one run, its queue
jobs run for real by several Odoo processes.

    python3 tests/benchmarks/bench_execute.py [--members 1000000] [--reuse]
        [--servers 2] [--workers 2] [--capacity 4] [--batch-size 2000]
        [--file-format csv|pain.001.001.03]

Set-up, not measured: the members (generated, or kept with ``--reuse``), half
paid through a manual FSP and half through a file FSP; a payroll generated and
approved through the bench helpers; both FSPs funded. Then ``--servers`` Odoo
servers (``--workers`` each, ``queue_job`` server-wide, channel
``root.spp_payroll`` of capacity ``--capacity``) share the database, standing
in for as many hosts; their job runners elect one master, which hands each job
to a round-robin balancer in front of them all (the deployment's load
balancer). The run is started as a Finance Officer would, its progress printed
as it goes with the load average, then per phase: queueing (attempts), chunk
jobs, delivery, the file's build, state transitions and totals; and the proof
that no chunk ran twice: every chunk done once (its row lock and state), a
duplicate of some chunks' jobs injected on purpose and skipped, one attempt
per payment, no attempt sent twice, and the jobs done by each server.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from odoo_runner import HELPERS, MEMBERS, _odoo, shell, update_suite  # noqa: E402
from odoo_servers import Balancer, running_servers  # noqa: E402
from spp_setup import pg  # noqa: E402

ADDONS = "spp_payment_demo,spp_payment_file"
# The DEBUG lines of spp.payment's transitions and attempt creation.
STEP = re.compile(
    r"(?P<step>transition to \w+|attempts created): (?P<n>\d+) payments "
    r"in (?P<s>[\d.]+) s"
)

SETUP = """
import os
from odoo import fields
from odoo.tools import SQL
from odoo.addons.spp_payment_base.tools import guarded_write

program = env["spp.program"].search([("code", "=", "DEMO-CT")])
manual = env["spp.fsp"].search([("name", "=", "bench execute manual")]) or env[
    "spp.fsp"].create({{"name": "bench execute manual", "provider": "manual",
                       "state": "enabled"}})
file_fsp = env["spp.fsp"].search([("name", "=", "bench execute file")]) or env[
    "spp.fsp"].create({{
    "name": "bench execute file", "provider": "file", "state": "enabled",
    "iso_debtor_name": "Ministry", "iso_debtor_account": "KE12ABCD00000000001234567",
    "iso_debtor_bic": "ABCDKENAXXX",
}})
manual.batch_size = {batch_size}
file_fsp.file_format = "{file_format}"
for fsp in manual | file_fsp:
    fsp._spp_record_balance(10 ** 12, fields.Datetime.now(), "bench funding")
with guarded_write("approval"):
    program.write({{"missed_payment_policy": "none"}})
env.cr.execute(SQL(
    "UPDATE spp_program_membership SET channel = 'digital', "
    "fsp_id = CASE WHEN id %% 2 = 0 THEN %s ELSE %s END WHERE program_id = %s",
    file_fsp.id, manual.id, program.id))
env.invalidate_all()
tag = int(time.time())
cycle = approved_cycle({{
    "name": f"bench execute {{tag}}", "program_id": program.id,
    "date_start": "2032-01-01", "date_end": "2032-01-31", "fixed_amount": 40.0,
}})
payroll = env["spp.payroll"].create({{"name": f"bench execute {{tag}}",
                                     "cycle_id": cycle.id}})
env.cr.commit()
timed("set-up: generation", payroll.action_generate)
env.cr.commit()
payroll.invalidate_recordset()
payroll.action_submit()
with _approval_write("approval"):
    payroll.write({{"approval_state": "approved"}})
timed("set-up: approval", payroll._on_spp_approved, payroll.payment_count)
env.cr.commit()
officer = env.ref("base.user_admin")
officer.group_ids |= env.ref("spp_payment_base.group_spp_finance_officer")
env.cr.commit()
print(f"PAYROLL {{payroll.id}} {{payroll.payment_count}}")
"""

EXECUTE = """
import os, time
import odoo.sql_db
from odoo.tools import SQL

payroll = env["spp.payroll"].browse({payroll})
officer = env.ref("base.user_admin")
count = payroll.payment_count
print(f"payroll {{payroll.name}}: {{count:,}} payments; load average "
      f"{{os.getloadavg()}}", flush=True)
start = time.perf_counter()
run = payroll.with_user(officer).action_execute()
env.cr.commit()
click = time.perf_counter() - start
print(f"{{'execute (request: chunks enqueued)':<38}} {{click:8.1f}} s  "
      f"{{run.chunk_count:,}} chunks", flush=True)
# A second runner, a double click that slipped past the identity key: the same
# chunks enqueued again, without it. Their row lock and state skip them.
env.cr.execute(SQL("SELECT number FROM spp_payroll_run_chunk WHERE run_id = %s "
                   "AND number %% 10 = 0 ORDER BY number", run.id))
duplicates = [row[0] for row in env.cr.fetchall()]
env.cr.execute(SQL("SELECT args FROM queue_job WHERE method_name = "
                   "'_job_send_chunk' AND identity_key LIKE %s",
                   f"spp.payroll.run:{{run.id}}:%"))
import json
args_by_number = {{}}
for (args,) in env.cr.fetchall():
    args = args if isinstance(args, list) else json.loads(args)
    args_by_number[args[1]] = args[0]
for number in duplicates:
    run.with_delay(description=f"duplicate of run {{run.id}} chunk {{number}}"
                   )._job_send_chunk(
        args_by_number[number], number)
env.cr.commit()
dup = f"duplicate of run {{run.id}} %"
print(f"duplicates of {{len(duplicates)}} chunk jobs injected", flush=True)

last = None
while True:
    env.cr.rollback()
    env.invalidate_all()
    env.cr.execute(SQL(
        "SELECT state, COUNT(*), COALESCE(SUM(payment_count), 0) "
        "FROM spp_payroll_run_chunk WHERE run_id = %s GROUP BY state", run.id))
    chunks = {{state: (n, p) for state, n, p in env.cr.fetchall()}}
    env.cr.execute(SQL("SELECT state FROM spp_payroll_run WHERE id = %s", run.id))
    state = env.cr.fetchone()[0]
    env.cr.execute(SQL("SELECT state, COUNT(*) FROM queue_job WHERE state "
                       "IN ('failed') GROUP BY state"))
    failed = dict(env.cr.fetchall()).get("failed", 0)
    # What the payroll form shows (its progress, read with the user's rights).
    info = payroll.with_user(officer).progress_info
    outcomes = ", ".join(f"{{o['key']}} {{o['count']:,}}" for o in info["outcomes"]
                         if o["count"])
    line = (f"  {{time.perf_counter() - start:7.1f}} s  run {{state}} "
            f"{{info['run']['percent']}}%, payments {{outcomes}}; chunks "
            + ", ".join(f"{{s}} {{n}}" for s, (n, p) in sorted(chunks.items()))
            + f"; failed jobs {{failed}}; load {{os.getloadavg()[0]:.2f}}")
    if line.split("s  ", 1)[1] != last:
        print(line, flush=True)
        last = line.split("s  ", 1)[1]
    if state != "running" or failed:
        break
    time.sleep(3)
total = time.perf_counter() - start
# Until the duplicates ran too.
for _ in range(120):
    env.cr.rollback()
    env.cr.execute(SQL("SELECT COUNT(*) FROM queue_job WHERE state NOT IN "
                       "('done', 'failed') AND channel LIKE %s", "root.spp_payroll%"))
    if not env.cr.fetchone()[0]:
        break
    time.sleep(1)
env.cr.rollback()

print()
print("per phase (job wall times summed over workers; span from first start "
      "to last end):")
env.cr.execute(SQL(
    "SELECT method_name, COUNT(*), SUM(exec_time), "
    "EXTRACT(EPOCH FROM MAX(date_done) - MIN(date_started)), "
    "COUNT(*) FILTER (WHERE result LIKE %s) "
    "FROM queue_job WHERE identity_key LIKE %s OR name LIKE %s "
    "GROUP BY method_name", "%: skipped", f"spp.payroll.run:{{run.id}}:%", dup))
for method, n, busy, span, skipped in env.cr.fetchall():
    label = {{"_job_send_chunk": "chunk jobs (queueing, attempts, file)",
              "_job_deliver_chunk": "delivery jobs"}}.get(method, method)
    print(f"  {{label:<38}} {{n:5,}} jobs  busy {{busy or 0:8.1f}} s  "
          f"span {{span or 0:8.1f}} s  skipped {{skipped}}")
env.cr.execute(SQL(
    "SELECT f.provider, COUNT(*), SUM(c.payment_count), SUM(c.queue_seconds), "
    "COALESCE(SUM(c.deliver_seconds), 0) FROM spp_payroll_run_chunk c "
    "JOIN spp_fsp f ON f.id = c.fsp_id WHERE c.run_id = %s GROUP BY f.provider",
    run.id))
for provider, n, payments, queue, deliver in env.cr.fetchall():
    print(f"  {{provider}}: {{n:,}} chunks, {{payments:,}} payments; queueing "
          f"{{queue:.1f}} s ({{payments / max(queue, 1e-9):,.0f}}/s), delivery "
          f"{{deliver:.1f}} s")
print(f"{{'execution, click to run done':<38}} {{total:8.1f}} s  "
      f"{{count / total:10,.0f}} payments/s")
print("PHASES_DONE", flush=True)

print()
print("no chunk ran twice:")
env.cr.execute(SQL(
    "SELECT COUNT(*), COUNT(*) FILTER (WHERE state = 'done'), "
    "COUNT(*) FILTER (WHERE queued_by IS NULL) FROM spp_payroll_run_chunk "
    "WHERE run_id = %s", run.id))
chunks, done, unqueued = env.cr.fetchone()
env.cr.execute(SQL(
    "SELECT COUNT(*) FROM queue_job WHERE name LIKE %s "
    "AND state = 'done' AND result LIKE %s", dup, "%: skipped"))
skipped = env.cr.fetchone()[0]
env.cr.execute(SQL(
    "SELECT COUNT(*), COUNT(a.id), COUNT(DISTINCT a.idempotency_key), "
    "COUNT(*) FILTER (WHERE p.attempt_count <> 1) "
    "FROM spp_payment p LEFT JOIN spp_payment_attempt a ON a.payment_id = p.id "
    "WHERE p.payroll_id = %s", payroll.id))
payments, attempts, keys, not_once = env.cr.fetchone()
env.cr.execute(SQL(
    "SELECT COUNT(*) FROM (SELECT e.attempt_id FROM spp_payment_event e "
    "JOIN spp_payment p ON p.id = e.payment_id WHERE p.payroll_id = %s "
    "AND e.new_state = 'sent' GROUP BY e.attempt_id HAVING COUNT(*) > 1) twice",
    payroll.id))
sent_twice = env.cr.fetchone()[0]
env.cr.execute(SQL("SELECT state, COUNT(*) FROM spp_payment WHERE payroll_id = %s "
                   "GROUP BY state", payroll.id))
print(f"  chunks {{chunks:,}}: done {{done:,}}, never queued {{unqueued}}")
print(f"  duplicate chunk jobs injected {{len(duplicates)}}, skipped {{skipped}}")
print(f"  payments {{payments:,}}, attempts {{attempts:,}}, distinct keys "
      f"{{keys:,}}, payments without exactly one attempt {{not_once}}")
print(f"  attempts sent twice {{sent_twice}}; payments now "
      f"{{dict(env.cr.fetchall())}}")
env.cr.execute(SQL("SELECT f.name, f.payment_count, a.file_size FROM spp_payment_file "
                   "f JOIN ir_attachment a ON a.id = f.attachment_id "
                   "WHERE f.run_id = %s", run.id))
for name, n, size in env.cr.fetchall():
    print(f"  file {{name}}: {{n:,}} payments, {{size / 1e6:,.0f}} MB")
print("by process (host:port/pid):")
for column in ("queued_by", "delivered_by"):
    env.cr.execute(SQL(
        "SELECT split_part(%s, '/', 1), COUNT(*), "
        "COUNT(DISTINCT split_part(%s, '/', 2)) FROM spp_payroll_run_chunk "
        "WHERE run_id = %s AND %s IS NOT NULL GROUP BY 1 ORDER BY 1",
        SQL.identifier(column), SQL.identifier(column), run.id,
        SQL.identifier(column)))
    for server, n, pids in env.cr.fetchall():
        print(f"  {{column:<13}} {{server}}: {{n:,}} chunks by {{pids}} processes")
env.cr.execute(SQL(
    "SELECT worker_pid, COUNT(*) FROM queue_job WHERE identity_key LIKE %s "
    "OR name LIKE %s GROUP BY 1 ORDER BY 1",
    f"spp.payroll.run:{{run.id}}:%", dup))
print("  jobs by worker pid:", dict(env.cr.fetchall()))
ok = (done == chunks and skipped == len(duplicates) and attempts == payments
      and keys == payments and not not_once and not sent_twice)
print(f"bar: every chunk once, one attempt per payment, none sent twice: "
      f"{{'met' if ok else 'NOT met'}}")
print(f"bar: execution of {{count:,}} in minutes (< 10 min): "
      f"{{'met' if total < 600 else 'NOT met'}}")
print(f"load average after: {{os.getloadavg()}}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--database", default="spp_bench_execute")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--servers", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--file-format", default="csv")
    parser.add_argument(
        "--slow-sql",
        type=int,
        default=0,
        help="log statements slower than this many ms (PostgreSQL's log)",
    )
    args = parser.parse_args()

    server = pg.configured_server(None)
    try:
        if server is None:
            server = pg.start_private(fast=True, sized=True)
        if args.slow_sql:
            pg_settings = f"SET log_min_duration_statement = {args.slow_sql}"
            subprocess.run(
                [
                    "psql",
                    "-d",
                    "postgres",
                    "-c",
                    f"ALTER DATABASE {args.database} {pg_settings}",
                ],
                env=server.env(),
                check=False,
            )
        if not args.reuse or not pg.database_exists(server, args.database):
            pg.drop_database(server, args.database)
            print(f"creating database {args.database}...", flush=True)
            _odoo(server, args.database, "-i", ADDONS, "--stop-after-init")
            shell(server, args.database, MEMBERS.format(members=args.members))
        else:
            update_suite(server, args.database, ADDONS)
        setup = shell(
            server,
            args.database,
            HELPERS
            + SETUP.format(batch_size=args.batch_size, file_format=args.file_format),
            stdout=-1,
        )
        print(setup.stdout, end="", flush=True)
        payroll = int(re.search(r"PAYROLL (\d+)", setup.stdout).group(1))
        balancer = Balancer().start()
        channels = f"root:{args.capacity},root.spp_payroll:{args.capacity}"
        print(
            f"{args.servers} Odoo servers x {args.workers} workers, channels "
            f"{channels}, job runners dispatching through a balancer on "
            f":{balancer.port}",
            flush=True,
        )
        with running_servers(
            server,
            args.database,
            count=args.servers,
            name="exec",
            balancer=balancer,
            workers=args.workers,
            server_wide_modules="base,rpc,web,queue_job",
            args=[
                "--log-handler=odoo.addons.spp_payment_base.models.spp_payment:DEBUG"
            ],
            options={
                # A file chunk holds a payroll: no request-sized limits.
                "limit_time_real": "7200",
                "limit_time_cpu": "7200",
                "limit_memory_soft": str(8 << 30),
                "limit_memory_hard": str(12 << 30),
                "db_maxconn": "32",
            },
            sections={
                "queue_job": {
                    "channels": channels,
                    "host": "127.0.0.1",
                    "port": balancer.port,
                }
            },
        ) as servers:
            print(
                "servers: "
                + ", ".join(f"{s.name} :{s.port} pid {s.process.pid}" for s in servers),
                flush=True,
            )
            shell(server, args.database, EXECUTE.format(payroll=payroll))
            steps = {}
            for odoo in servers:
                for line in odoo.log_lines(" payments in "):
                    found = STEP.search(line)
                    if found:
                        step = steps.setdefault(found["step"], [0, 0, 0.0])
                        step[0] += 1
                        step[1] += int(found["n"])
                        step[2] += float(found["s"])
            print("state transitions and attempts (summed over workers):")
            for name, (calls, rows, seconds) in sorted(steps.items()):
                rate = rows / seconds if seconds else 0
                print(
                    f"  {name:<28} {calls:6,} calls {rows:10,} payments "
                    f"{seconds:8.1f} s {rate:10,.0f}/s"
                )
            for odoo in servers:
                for line in odoo.log_lines("built in"):
                    print(f"file build, {odoo.name}: {line.split(': ', 1)[-1]}")
                master = odoo.log_lines("queue job runner ready")
                print(
                    f"{odoo.name}: job runner {'master' if master else 'standby'}; "
                    f"jobs handed to it by the balancer: "
                    f"{balancer.counts.get(odoo.port, 0)}"
                )
        balancer.stop()
        print(f"load average at the end: {os.getloadavg()}")
    finally:
        pg.stop(server)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: M-Pesa result callbacks ingested end to end through Odoo's HTTP
stack, with Odoo running 1, 2 and 4 worker processes (prefork, real sockets).

    python3 tests/benchmarks/bench_callbacks_http.py [--payments 100000]
        [--workers 1,2,4] [--duplicates 5] [--clients 16] [--appliers 2]
        [--client raw|threads] [--stack 2000] [--reuse] [--profile 2000]

Needs a payroll of at least ``--payments`` payments: the database
(``--database``, default spp_bench_callbacks) is made by bench_payroll.py when
missing. Its payments are sent to the Daraja simulator (bench_connectors'
dispatch, one request per payment; ``--reuse`` keeps an earlier dispatch),
which keeps its Result callbacks. They are split between the worker counts;
for each count a prefork Odoo server (no cron, no job runner) is started, a
load generator in this process posts the slice's Results plus
``--duplicates`` % of them again over ``--clients`` connections, then
``--appliers`` concurrent appliers run the inbox's apply job until nothing is
pending. Printed per worker count: callbacks/s accepted at HTTP, callbacks/s
applied, lost, applied twice, duplicates applied once (all checked in the
database), the load average, the bar (1,000/s), and where the CPU of one
callback goes: the client, Odoo, PostgreSQL (its processes, when it is the
private one) and the rest of the machine (the kernel, other work).

The load generator stands in for the FSP, another machine: ``--client raw``
(default, http_load.py) costs little CPU; ``--client threads`` is the
http.client-in-threads one of earlier runs, for comparison. ``--stack N``
also posts N requests to an unknown callback URL (404): the same route, our
code stopping at its cached FSP lookup, so what Odoo's HTTP stack costs
without it (session, routing, registry check, environment, commit).

PostgreSQL is the configured one, or the private one of the benchmarks, sized
like a server, without fsync (``--durable``: with fsync and synchronous
commit, as production needs, since Daraja does not send an acknowledged
callback again; each request's commit then waits for this shared disk).
"""

import argparse
import http.client
import json
import os
import queue
import random
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from bench_connectors import DISPATCH
from http_load import post_all
from http_servers import odoo_http
from odoo_runner import _odoo, run

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "setup"))

from spp_setup import pg  # noqa: E402
from spp_setup.common import LOCAL  # noqa: E402

BAR = 1000
# A callback URL no FSP has (a public id is 16 hex digits): Odoo routes it to
# the callback controller, which answers 404 from its per-process cache.
UNKNOWN = ("/spp_payment/fsp/00000000000000ff/callback/result", b"{}")
ADDONS = "spp_payment_g2p_connect,spp_payment_mpesa,spp_payment_phee"

# Send the payments to the simulator and keep its Results (path, body) in a file.
COLLECT = """
dispatch_mpesa()
"""

# Or, faster than Daraja's simulator over loopback HTTP: the same dispatch
# (jobs, attempts, the recorded ConversationID pairs and states) with Daraja's
# acknowledgement made here, and the Result the simulator would send.
ACKNOWLEDGE = """
import hashlib, uuid
from spp_payment_core.simulators.mpesa import _result
Fsp = type(env["spp.fsp"])

def acknowledged(method, url, json=None, **kwargs):
    # Daraja's synchronous answer to a B2C request, and the Result it sends.
    key = json["OriginatorConversationID"]
    conversation = "AG_" + hashlib.sha256(key.encode()).hexdigest()[:20]
    receipt = "S" + uuid.uuid4().hex[:9].upper()
    received.append((json["ResultURL"], _result(
        "0", "The service request is processed successfully.", key,
        conversation, receipt, json)))
    return 200, {{"OriginatorConversationID": key, "ConversationID": conversation,
                 "ResponseCode": "0",
                 "ResponseDescription": "Accept the service request successfully"}}

Fsp._spp_http_client = lambda self: acknowledged
Fsp._spp_mpesa_token = lambda self: ("benchmark-token", 3600)
dispatch("M-Pesa dispatch (acknowledged here)", mpesa_fsp, whole=True)
"""

WRITE = """
with open({path!r}, "w") as out:
    for url, body in received:
        out.write(json.dumps([urlsplit(url).path, body]) + "\\n")
env.cr.commit()
"""

# Appliers in threads, each with its cursor: the apply job, batch after batch,
# until nothing is pending; then what the database says of the slice.
APPLY = """
import json, threading, time
from odoo import api, SUPERUSER_ID
from odoo.modules.registry import Registry

keys = {keys!r}
fsp_id = env["spp.fsp"].search([("name", "=", "bench M-Pesa")]).id
registry = Registry(env.cr.dbname)
taken = []

def applier():
    while True:
        with registry.cursor() as cr:
            callbacks = api.Environment(cr, SUPERUSER_ID, {{}})["spp.payment.callback"]
            fsp = callbacks.env["spp.fsp"].browse(fsp_id)
            count = callbacks._spp_apply_pending(fsp, limit=2000)
            cr.commit()
        taken.append(count)
        if not count:
            return

start = time.perf_counter()
threads = [threading.Thread(target=applier) for _ in range({appliers})]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
seconds = time.perf_counter() - start
cr = env.cr
cr.rollback()  # a snapshot that sees what the appliers committed
cr.execute(\"\"\"
    SELECT count(*) FILTER (WHERE p.state = 'accepted'),
           count(*) FILTER (WHERE p.state IN ('paid', 'failed')),
           count(*)
      FROM spp_payment_attempt a JOIN spp_payment p ON p.id = a.payment_id
     WHERE a.idempotency_key = ANY(%s) AND a.fsp_id = %s\"\"\", [keys, fsp_id])
waiting, settled, known = cr.fetchone()
cr.execute(\"\"\"
    SELECT count(*) FROM (
        SELECT e.payment_id FROM spp_payment_event e
          JOIN spp_payment_attempt a ON a.id = e.attempt_id
         WHERE a.idempotency_key = ANY(%s) AND a.fsp_id = %s
           AND e.new_state IN ('paid', 'failed')
         GROUP BY e.payment_id HAVING count(*) > 1) twice\"\"\", [keys, fsp_id])
twice = cr.fetchone()[0]
cr.execute(\"\"\"
    SELECT count(*) FROM spp_payment_overpayment o
      JOIN spp_payment_attempt a ON a.payment_id = o.payment_id
     WHERE a.idempotency_key = ANY(%s) AND a.fsp_id = %s\"\"\", [keys, fsp_id])
doubles = cr.fetchone()[0]
cr.execute(\"\"\"
    SELECT state, count(*) FROM spp_payment_callback
     WHERE fsp_id = %s AND split_part(message_key, ':', 2) = ANY(%s)
        OR (state = 'duplicate' AND fsp_id = %s
            AND payload::json->'Result'->>'OriginatorConversationID' = ANY(%s))
     GROUP BY state\"\"\", [fsp_id, keys, fsp_id, keys])
rows = dict(cr.fetchall())
print("APPLIED " + json.dumps(dict(
    seconds=seconds, jobs=len([t for t in taken if t]), waiting=waiting,
    settled=settled, known=known, twice=twice, doubles=doubles, rows=rows)))
"""

# Where Odoo's dispatch of one callback spends its time: a sample through the
# WSGI application (no socket), under cProfile.
PROFILE = """
import cProfile, pstats, time
from collections import Counter
from werkzeug.test import Client
from odoo.http import root
sample = {sample!r}
client = Client(root)
profile = cProfile.Profile()
start = time.perf_counter()
profile.enable()
answers = Counter(client.post(path, data=body,
                              content_type="application/json").status_code
                  for path, body in sample)
profile.disable()
seconds = time.perf_counter() - start
print(f"profile: {{len(sample):,}} callbacks through Odoo's WSGI dispatch in "
      f"{{seconds:.1f}} s = {{seconds / len(sample) * 1000:.2f}} ms each, "
      f"answers {{dict(answers)}}")
pstats.Stats(profile).sort_stats("tottime").print_stats(25)
pstats.Stats(profile).sort_stats("cumtime").print_stats(35)
env.cr.commit()
"""


def load(url, requests, clients):
    """Post ``requests`` [(path, body bytes)] with ``clients`` threads, a
    connection each, kept while the server keeps it (Odoo's prefork workers
    answer HTTP/1.0 and close). Returns (statuses, seconds, client CPU s).
    ``--client threads``: each request costs this process about twice the
    CPU of http_load's."""
    host = urlsplit(url)
    work = queue.SimpleQueue()
    for item in requests:
        work.put(item)
    statuses = Counter()
    lock = threading.Lock()

    def client():
        connection = None
        seen = Counter()
        while True:
            try:
                path, body = work.get_nowait()
            except queue.Empty:
                break
            for attempt in range(3):
                try:
                    if connection is None:
                        connection = http.client.HTTPConnection(
                            host.hostname, host.port, timeout=60
                        )
                    connection.request(
                        "POST",
                        path,
                        body,
                        {"Content-Type": "application/json"},
                    )
                    response = connection.getresponse()
                    response.read()
                    seen[response.status] += 1
                    if response.will_close:
                        connection.close()
                        connection = None
                    break
                except (OSError, http.client.HTTPException):
                    if connection is not None:
                        connection.close()
                    connection = None
                    if attempt == 2:
                        seen["error"] += 1
        with lock:
            statuses.update(seen)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu, start = time.process_time(), time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses, time.perf_counter() - start, time.process_time() - cpu


def post(args, url, requests):
    """Post with the client of ``--client``: (statuses, seconds, client CPU s)."""
    if args.client == "threads":
        return load(url, requests, args.clients)
    host = urlsplit(url)
    cpu = time.process_time()
    statuses, seconds = post_all(host.hostname, host.port, requests, args.clients)
    return statuses, seconds, time.process_time() - cpu


TICK = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid, reaped=False):
    """User + system CPU seconds of ``pid`` (and of its waited-for children)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(stat[11]) + int(stat[12])
    if reaped:
        ticks += int(stat[13]) + int(stat[14])
    return ticks / TICK


def postgresql_cpu(server):
    """CPU seconds of the private PostgreSQL (postmaster, its live backends
    and those that ended), or None for a configured server elsewhere."""
    try:
        master = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        children = Path(f"/proc/{master}/task/{master}/children").read_text()
    except (AttributeError, TypeError, OSError, ValueError, IndexError):
        return None
    return _process_cpu(master, reaped=True) + sum(
        _process_cpu(int(pid)) for pid in children.split()
    )


def machine_cpu():
    """Busy CPU seconds of the whole machine (all but idle and iowait)."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK


def measured(args, server, odoo, requests):
    """Post ``requests``; their statuses, seconds and CPU seconds (client,
    odoo, postgresql (None when unknown), machine)."""
    before = (odoo.cpu_seconds(), postgresql_cpu(server), machine_cpu())
    statuses, seconds, client = post(args, odoo.url, requests)
    after = (odoo.cpu_seconds(), postgresql_cpu(server), machine_cpu())
    cpu = {
        "client": client,
        "odoo": after[0] - before[0],
        "machine": after[2] - before[2],
    }
    cpu["postgresql"] = None if before[1] is None else after[1] - before[1]
    return statuses, seconds, cpu


def split(cpu, count):
    """The CPU of one request, in ms: client / Odoo / PostgreSQL / the rest."""
    ms = {k: (v or 0) / count * 1000 for k, v in cpu.items()}
    rest = ms["machine"] - ms["client"] - ms["odoo"] - ms["postgresql"]
    pg = "?" if cpu["postgresql"] is None else f"{ms['postgresql']:.2f}"
    return (
        f"client {ms['client']:.2f} + Odoo {ms['odoo']:.2f} + PostgreSQL {pg} "
        f"+ rest {rest:.2f} = {ms['machine']:.2f} ms of the machine's CPU"
    )


def with_duplicates(results, percent, rng):
    """The slice's Results in random order, and ``percent`` % of them posted
    again (the same bytes), each somewhere after its first delivery, as
    Daraja's re-deliveries come (some at once, racing the first)."""
    requests = [(path, json.dumps(body).encode()) for path, body in results]
    again = rng.sample(range(len(requests)), len(requests) * percent // 100)
    at = [rng.random() for _ in requests]
    stream = [(at[i], requests[i]) for i in range(len(requests))]
    stream += [(at[i] + rng.random() * (1 - at[i]), requests[i]) for i in again]
    stream.sort(key=lambda item: item[0])
    return [item for _at, item in stream], len(again)


def shell(server, database, code):
    """Odoo shell on the benchmark database: its output."""
    done = _odoo(
        server,
        database,
        subcommand=["shell"],
        input=code,
        text=True,
        capture_output=True,
    )
    return done.stdout


def measure(args, server, workers, results, rng):
    requests, repeated = with_duplicates(results, args.duplicates, rng)
    keys = [body["Result"]["OriginatorConversationID"] for _path, body in results]
    with odoo_http(server, args.database, workers=workers) as odoo:
        # Each worker has its registry loaded before the clock starts.
        load(odoo.url, [("/spp_payment/fsp/0/callback", b"{}")] * 8 * workers, 8)
        before = os.getloadavg()
        statuses, seconds, cpu = measured(args, server, odoo, requests)
        after = os.getloadavg()
        stack = None
        if args.stack:
            stack = measured(args, server, odoo, [UNKNOWN] * args.stack)
    output = shell(
        server, args.database, APPLY.format(keys=keys, appliers=args.appliers)
    )
    applied = json.loads(output.split("APPLIED ", 1)[1].splitlines()[0])
    accepted = statuses.get(200, 0)
    rate = len(requests) / seconds
    lost = len(keys) - applied["settled"]
    print(
        f"--workers {workers}: {len(requests):,} callbacks posted "
        f"({len(keys):,} Results + {repeated:,} re-delivered) by the {args.client} "
        f"client over {args.clients} connections in {seconds:.1f} s = "
        f"{rate:,.0f} callbacks/s accepted at HTTP (answers {dict(statuses)})"
    )
    print(
        f"  applied by {args.appliers} appliers ({applied['jobs']} batches): "
        f"{applied['rows'].get('applied', 0):,} callbacks in "
        f"{applied['seconds']:.1f} s = "
        f"{applied['rows'].get('applied', 0) / applied['seconds']:,.0f} "
        f"callbacks/s applied; inbox {applied['rows']}"
    )
    print(
        f"  lost={lost} (payments still accepted: {applied['waiting']}), "
        f"applied twice={applied['twice']}, suspected doubles={applied['doubles']}, "
        f"re-delivered {repeated:,} -> {applied['rows'].get('duplicate', 0):,} "
        f"recorded as duplicates, applied once"
    )
    print(
        f"  CPU per callback: {split(cpu, len(requests))}; Odoo "
        f"{cpu['odoo'] / seconds:.0%} of a core; loadavg {before[0]:.2f} -> "
        f"{after[0]:.2f} ({', '.join(f'{x:.2f}' for x in after)})"
    )
    if stack:
        statuses, seconds, cpu = stack
        print(
            f"  Odoo's HTTP stack alone ({args.stack:,} posts to an unknown "
            f"callback URL, answers {dict(statuses)}: {args.stack / seconds:,.0f}/s): "
            f"{split(cpu, args.stack)}"
        )
    ok = rate >= BAR and accepted == len(requests) and lost == 0
    print(
        f"  bar {BAR:,} callbacks/s accepted at HTTP with --workers {workers}, none "
        f"lost: {'met' if ok else 'NOT met'}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_callbacks")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument(
        "--members", type=int, default=0, help="of a new database (--payments)"
    )
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--duplicates", type=int, default=5, help="percent")
    parser.add_argument("--clients", type=int, default=16, help="connections")
    parser.add_argument(
        "--client",
        choices=("raw", "threads"),
        default="raw",
        help="load generator: http_load's one thread of non-blocking sockets, "
        "or http.client in --clients threads (earlier runs)",
    )
    parser.add_argument(
        "--stack",
        type=int,
        default=2000,
        help="posts to an unknown callback URL: Odoo's HTTP stack alone",
    )
    parser.add_argument("--appliers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument(
        "--durable",
        action="store_true",
        help="the private PostgreSQL with fsync and synchronous commit (each "
        "callback's commit then waits for the disk) instead of the benchmarks' "
        "throw-away settings",
    )
    parser.add_argument(
        "--simulator",
        action="store_true",
        help="dispatch to Daraja's simulator over HTTP (slow) instead of "
        "acknowledging each request here",
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="callbacks to profile through WSGI"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    server = pg.configured_server() or pg.start_private(
        fast=not args.durable, sized=True
    )
    collected = LOCAL / f"{args.database}_results.jsonl"
    try:
        if not pg.database_exists(server, args.database):
            subprocess.run(
                [
                    sys.executable,
                    str(HERE / "bench_payroll.py"),
                    f"--members={args.members or args.payments}",
                    "--sample=1000",
                    f"--database={args.database}",
                ],
                check=True,
            )
        if not (args.reuse and collected.exists()):
            code = DISPATCH.format(
                payments=args.payments,
                profile=False,
                slices=1,
                mpesa_tps=0,
                mpesa_in_flight=8,
                mpesa_latency=0.0,
            )
            code += COLLECT if args.simulator else ACKNOWLEDGE.format()
            code += WRITE.format(path=str(collected))
            run(args.database, code, addons=ADDONS, update=True)
        results = [json.loads(line) for line in collected.open()]
        if not results:
            raise SystemExit("the simulator sent no Results: nothing to measure")
        rng = random.Random(15)
        size = (len(results) - args.profile) // len(counts)
        print(
            f"{len(results):,} M-Pesa Results; {size:,} per worker count; "
            f"loadavg {os.getloadavg()}",
            flush=True,
        )
        for index, workers in enumerate(counts):
            measure(
                args, server, workers, results[index * size : (index + 1) * size], rng
            )
        if args.profile:
            sample = [
                (path, json.dumps(body)) for path, body in results[-args.profile :]
            ]
            print(shell(server, args.database, PROFILE.format(sample=sample)))
    finally:
        pg.stop(server)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Benchmark: the API connectors against their loopback simulators.

    python3 tests/benchmarks/bench_connectors.py [--database spp_bench_payroll]
                                                 [--payments 100000]

Needs the database of ``bench_payroll.py``. Takes ``--payments`` payments of its
latest payroll per connector (re-approved for the run, and left in the states the
run gives them; every job and every callback commits, as in production) and
prints:

* dispatch to the G2P Connect and Payment Hub EE simulators through the payroll
  run's queue jobs: payments per second, with the time spent enqueueing, in the
  job wrapper, in HTTP (client and simulator, which run in this process) and in
  our own work (attempts, state changes, events, message building) broken out;
* M-Pesa: dispatch (one Daraja request per payment), then ingestion of the
  simulator's result callbacks through the callback inbox: callbacks per second;
  and the cost of Odoo's HTTP dispatch for a callback, measured on a sample sent
  through Odoo's WSGI application (no socket).
"""

import argparse

from odoo_runner import run

# Shared with bench_callbacks_http.py: the connectors' FSPs, their payments
# (``slices`` slices of ``payments``) and dispatch through the payroll run's jobs.
DISPATCH = """
import cProfile, json, pstats, time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from spp_payment_core import http as spp_http
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator
from spp_payment_core.simulators.mpesa import MpesaSimulator
from spp_payment_core.simulators.phee import PheeSimulator
from odoo.addons.queue_job.job import Job

LIMIT = {payments}
PROFILE = {profile}
spent = defaultdict(float)
calls = Counter()
_call = spp_http.call

def timed_call(*args, **kwargs):
    start = time.perf_counter()
    try:
        return _call(*args, **kwargs)
    finally:
        spent["http"] += time.perf_counter() - start
        calls["http"] += 1

spp_http.call = timed_call
Payment = type(env["spp.payment"])
_send = Payment._spp_send

def timed_send(self):
    start = time.perf_counter()
    try:
        return _send(self)
    finally:
        spent["send"] += time.perf_counter() - start

Payment._spp_send = timed_send
def configure(name, provider, url, **vals):
    vals = dict(name=name, provider=provider, state="enabled", api_url=url,
                retry_backoff_seconds=0, rate_limit_tps=0, batch_size=1000,
                callback_base_url="http://127.0.0.1:1", **vals)
    fsp = env["spp.fsp"].search([("name", "=", name)], limit=1)
    if fsp:
        fsp.write(vals)
        return fsp
    return env["spp.fsp"].create(vals)

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
mpesa_fsp = configure("bench M-Pesa", "mpesa", "http://127.0.0.1:1",
                      api_key="consumer-key",
                      api_secret="consumer-secret", mpesa_shortcode="600999",
                      mpesa_initiator="spp",
                      mpesa_initiator_password="Safaricom999!",
                      mpesa_certificate=public.decode())
env.cr.commit()
env.cr.execute("SELECT payroll_id FROM spp_payment WHERE payroll_id IS NOT NULL "
               "ORDER BY id DESC LIMIT 1")
payroll = env["spp.payroll"].browse(env.cr.fetchone()[0])
env.cr.execute("SELECT id FROM spp_payment WHERE payroll_id = %s "
               "AND NOT entitlement_rejected ORDER BY id LIMIT %s",
               [payroll.id, {slices} * LIMIT])
all_ids = [r[0] for r in env.cr.fetchall()]
slices = iter([all_ids[n * LIMIT:(n + 1) * LIMIT] for n in range({slices})])
print(f"payroll {{payroll.name}}: {{LIMIT:,}} payments per connector", flush=True)

def prepare(fsp, whole=False):
    # Its own payments per connector, approved, paid to numbers that end in 9
    # (the simulators' fault suffixes end in 1 to 6).
    global ids
    ids = next(slices)
    env.cr.execute("UPDATE spp_payroll_run SET state = 'done' WHERE payroll_id = %s",
                   [payroll.id])
    # Attempts of an earlier run of this benchmark are closed (the database
    # refuses a second paid attempt for a payment).
    env.cr.execute("UPDATE spp_payment_attempt SET state = 'failed' "
                   "WHERE payment_id = ANY(%s) AND state <> 'failed'", [ids])
    # The payroll is approved: the database refuses to change its payments'
    # FSP, destination or amount (spp_payroll's lock trigger), except here,
    # where the benchmark re-points its own payments for one more run.
    env.cr.execute("ALTER TABLE spp_payment DISABLE TRIGGER "
                   "spp_payment_payroll_lock_update")
    env.cr.execute(
        "UPDATE spp_payment SET state = 'approved', fsp_id = %s, channel = 'digital', "
        "destination_type = 'mobile', current_attempt_id = NULL, "
        "destination = '+2547' || lpad((id %% 10000000)::text, 7, '0') || '9'"
        + (", amount = round(amount)" if whole else "")
        + " WHERE id = ANY(%s)", [fsp.id, ids])
    env.cr.execute("ALTER TABLE spp_payment ENABLE TRIGGER "
                   "spp_payment_payroll_lock_update")
    env.invalidate_all()
    env.cr.commit()

def dispatch(label, fsp, whole=False):
    prepare(fsp, whole)
    spent.clear(); calls.clear()
    payments = env["spp.payment"].browse(ids)
    start = time.perf_counter()
    run_record = env["spp.payroll.run"]._spp_start(payroll, payments, "execute")
    env.cr.commit()
    enqueue = time.perf_counter() - start
    prefix = f"spp.payroll.run({{run_record.id}},)%"
    performing = time.perf_counter()
    profile = cProfile.Profile() if PROFILE else None
    if profile:
        profile.enable()
    # A chunk's queueing job enqueues its delivery job: run until none is left.
    jobs = env["queue.job"]
    while True:
        pending = env["queue.job"].search([("state", "=", "pending"),
                                           ("func_string", "like", prefix)])
        if not pending:
            break
        jobs |= pending
        for record in pending:
            job = Job.load(env, record.uuid)
            job.set_started(); job.store()
            job.perform()
            job.set_done(); job.store()
            env.cr.commit()
    perform = time.perf_counter() - performing
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumtime").print_stats("spp_|sql_db", 40)
    total = enqueue + perform
    env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
                   "GROUP BY state ORDER BY state", [ids])
    states = dict(env.cr.fetchall())
    n = len(ids)
    ours = spent["send"] - spent["http"]
    print(f"{{label}}: {{n:,}} payments in {{total:.1f}} s = "
          f"{{n / total:,.0f}} payments/s "
          f"({{len(jobs)}} jobs, {{calls['http']:,}} HTTP requests)")
    print(f"  enqueue (run + jobs)         {{enqueue:7.1f}} s")
    print(f"  job wrapper (load, states)   {{perform - spent['send']:7.1f}} s")
    print(f"  HTTP (client + simulator)    {{spent['http']:7.1f}} s")
    print(f"  our work (SQL, ORM, build)   {{ours:7.1f}} s")
    print(f"  payments now: {{states}}", flush=True)
    return total

received = []

def keep(url, body, headers=None):
    received.append((url, body))
    return 200

def dispatch_mpesa():
    # Sent to the Daraja simulator; its Result callbacks kept in ``received``.
    with MpesaSimulator(key, max_seconds=3600, deliver=keep) as sim:
        mpesa_fsp.sudo().api_url = sim.base_url
        dispatch("M-Pesa dispatch (one request per payment)", mpesa_fsp, whole=True)
        sim.flush()
        assert not sim.violations, sim.violations[:3]
    print(f"M-Pesa result callbacks queued: {{len(received):,}}", flush=True)
"""

CODE = (
    DISPATCH
    + """
ONLY = {only!r}
if "g2p" in ONLY:
    with G2pConnectSimulator(max_seconds=3600) as sim:
        fsp = configure("bench G2P", "g2p_connect", sim.base_url,
                        api_username="spp", api_secret="secret",
                        g2p_payer_fa="account:1@central-bank")
        dispatch("G2P Connect dispatch", fsp)
        assert not sim.violations, sim.violations[:3]

if "phee" in ONLY:
    with PheeSimulator(max_seconds=3600) as sim:
        fsp = configure("bench PHEE", "phee", sim.base_url, api_username="mifos",
                        api_secret="password", phee_tenant="ibank-usa")
        dispatch("Payment Hub EE dispatch", fsp)
        assert not sim.violations, sim.violations[:3]

dispatch_mpesa()
receive = env["spp.payment.callback"].sudo()._spp_receive
results = Counter()
start = time.perf_counter()
for url, body in received:
    # /spp_payment/fsp/<callback ID>/callback/<kind>: no secret in the URL;
    # Daraja's Results are authenticated by their ConversationID pair.
    parts = urlsplit(url).path.split("/")
    status, _answer = receive(parts[3], json.dumps(body).encode(), {{}},
                              "127.0.0.1", kind=parts[5])
    env.cr.commit()
    results[status] += 1
ingest = time.perf_counter() - start
env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
               "GROUP BY state ORDER BY state", [ids])
print(f"M-Pesa callbacks ingested: {{len(received):,}} in {{ingest:.1f}} s = "
      f"{{len(received) / ingest:,.0f}} callbacks/s (HTTP answers {{dict(results)}})")
print(f"  payments now: {{dict(env.cr.fetchall())}}", flush=True)

# Odoo's own HTTP dispatch of a callback (routing, request, cursor, commit),
# on a sample through the WSGI application: replays of callbacks already
# applied, so each is recorded as a duplicate.
from werkzeug.test import Client
from odoo.http import root
from odoo.tools import config
config["dbfilter"] = f"^{{env.cr.dbname}}$"
sample = received[: min(2000, len(received))]
client = Client(root)
answers = Counter()
start = time.perf_counter()
for url, body in sample:
    response = client.post(urlsplit(url).path,
                           data=json.dumps(body), content_type="application/json")
    answers[response.status_code] += 1
through_http = (time.perf_counter() - start) / len(sample)
print(f"  per replayed callback through Odoo's WSGI dispatch: "
      f"{{through_http * 1000:.2f}} ms, answers {{dict(answers)}} "
      f"(first delivery through the inbox alone: "
      f"{{ingest / len(received) * 1000:.2f}} ms)")
env.cr.commit()  # a fresh snapshot: the WSGI requests committed their own
env.cr.execute("SELECT state, COUNT(*) FROM spp_payment_callback "
               "WHERE fsp_id = %s GROUP BY state", [mpesa_fsp.id])
print(f"  callbacks recorded: {{dict(env.cr.fetchall())}}")
env.cr.commit()
"""
)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_payroll")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument(
        "--profile", action="store_true", help="print where dispatch spends its time"
    )
    parser.add_argument(
        "--only",
        default="g2p,phee",
        help="dispatch benchmarks to run besides M-Pesa's (g2p, phee)",
    )
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(
            payments=args.payments,
            profile=args.profile,
            only=set(args.only.split(",")),
            slices=3,
        ),
        addons="spp_payment_g2p_connect,spp_payment_mpesa,spp_payment_phee",
        update=True,
    )


if __name__ == "__main__":
    main()

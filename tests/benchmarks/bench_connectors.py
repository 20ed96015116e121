#!/usr/bin/env python3
"""Benchmark: the API connectors against their loopback simulators.

    python3 tests/benchmarks/bench_connectors.py [--database spp_bench_payroll]
                                                 [--payments 100000]

Needs the database of ``bench_payroll.py``. Takes ``--payments`` payments of its
latest payroll per connector (re-approved for the run, and left in the states the
run gives them; every job and every callback commits, as in production) and
prints:

* dispatch to the G2P Connect (signed, Ed25519) and Payment Hub EE simulators
  through the payroll run's queue jobs: payments per second against the bar of
  1,000/s, with the time per phase: enqueueing, the job wrapper (loading,
  queueing attempts), building the rows and message, signing, validating
  against the OpenAPI schema, HTTP (client and simulator, which run in this
  process) and recording the answers (state changes, events);
* M-Pesa: dispatch (one Daraja request per payment, ``--mpesa-in-flight`` at
  once on kept-alive connections, within ``--mpesa-tps``), then ingestion of the
  simulator's result callbacks through the callback inbox: callbacks per second;
  and the cost of Odoo's HTTP dispatch for a callback, measured on a sample sent
  through Odoo's WSGI application (no socket).
"""

import argparse

from odoo_runner import run

# Shared with bench_callbacks_http.py: the connectors' FSPs, their payments
# (``slices`` slices of ``payments``) and dispatch through the payroll run's jobs.
DISPATCH = """
import base64, cProfile, json, os, pstats, threading, time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from spp_payment_core import g2p_connect, http as spp_http
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator
from spp_payment_core.simulators.mpesa import MpesaSimulator
from spp_payment_core.simulators.phee import PheeSimulator
from odoo.addons.queue_job.job import Job

LIMIT = {payments}
PROFILE = {profile}
MPESA_TPS = {mpesa_tps}
MPESA_IN_FLIGHT = {mpesa_in_flight}
MPESA_LATENCY = {mpesa_latency}
# M-Pesa one request at a time, on a sample, for comparison.
SEQUENTIAL = min(LIMIT, 1000)
spent = defaultdict(float)
calls = Counter()
MAIN = threading.main_thread()
active = set()


def timing(owner, name, label):
    # Add the wall time of owner.name (run in the main thread: the job's, not
    # the simulator's nor the sending threads') to spent[label].
    original = getattr(owner, name)

    def timed(*args, **kwargs):
        # Not counted twice when one phase's step calls another of it.
        if threading.current_thread() is not MAIN or label in active:
            return original(*args, **kwargs)
        active.add(label)
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            active.discard(label)
            spent[label] += time.perf_counter() - start
            calls[label] += 1

    setattr(owner, name, timed)


_call = spp_http.call

def counted_call(*args, **kwargs):
    # Requests made, and request-seconds summed over the threads making them.
    start = time.perf_counter()
    try:
        return _call(*args, **kwargs)
    finally:
        with counting:
            spent["request_seconds"] += time.perf_counter() - start
            calls["http"] += 1

counting = threading.Lock()
spp_http.call = counted_call
Payment = type(env["spp.payment"])
Fsp = type(env["spp.fsp"])
timing(Payment, "_spp_deliver", "send")
timing(Payment, "_spp_queue_for_sending", "queue")
# The phases of a send (each measured where the job runs it).
timing(g2p_connect, "envelope", "sign")  # canonical JSON + signature
timing(g2p_connect, "validate", "validate")
timing(Fsp, "_spp_g2p_call", "http")
timing(Fsp, "_spp_g2p_handle_ack", "record")
timing(Fsp, "_spp_phee_call", "http")
timing(Fsp, "_spp_phee_record", "record")
timing(Fsp, "_spp_mpesa_post_all", "http")
timing(Fsp, "_spp_mpesa_record", "record")
timing(Payment, "_set_sent", "record")
timing(type(env["spp.payment.callback"]), "_spp_apply_pending", "record")

def configure(name, provider, url, **vals):
    vals = dict(name=name, provider=provider, state="enabled", api_url=url,
                retry_backoff_seconds=0, rate_limit_tps=0, batch_size=1000,
                # Each run of this benchmark is one more attempt per payment.
                max_retries=1000,
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
               [payroll.id, {slices} * LIMIT + SEQUENTIAL])
all_ids = [r[0] for r in env.cr.fetchall()]
slices = iter([all_ids[n * LIMIT:(n + 1) * LIMIT] for n in range({slices})]
              + [all_ids[{slices} * LIMIT:{slices} * LIMIT + SEQUENTIAL]])
print(f"payroll {{payroll.name}}: {{LIMIT:,}} payments per connector, "
      f"load average {{os.getloadavg()}}", flush=True)

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

def dispatch(label, fsp, whole=False, bar=1000):
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
    jobs = []
    # The chunks' queueing jobs, then the delivery jobs they queue.
    while pending := env["queue.job"].search([("state", "=", "pending"),
                                               ("func_string", "like", prefix)]):
        for record in pending:
            job = Job.load(env, record.uuid)
            job.set_started(); job.store()
            job.perform()
            job.set_done(); job.store()
            env.cr.commit()
            jobs.append(record)
    perform = time.perf_counter() - performing
    if profile:
        profile.disable()
        pstats.Stats(profile).sort_stats("cumtime").print_stats("spp_|sql_db", 40)
    total = enqueue + perform
    env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
                   "GROUP BY state ORDER BY state", [ids])
    states = dict(env.cr.fetchall())
    n = len(ids)
    inside = sum(spent[k] for k in ("sign", "validate", "http", "record"))
    print(f"{{label}}: {{n:,}} payments in {{total:.1f}} s = "
          f"{{n / total:,.0f}} payments/s "
          f"({{len(jobs)}} jobs, {{calls['http']:,}} HTTP requests)")
    print(f"  enqueue (run + jobs)         {{enqueue:7.1f}} s")
    wrapper = perform - spent["send"] - spent["queue"]
    print(f"  queue (attempts, keys)       {{spent['queue']:7.1f}} s")
    print(f"  job wrapper (load, commit)   {{wrapper:7.1f}} s")
    print(f"  build (rows, message)        {{spent['send'] - inside:7.1f}} s")
    print(f"  sign (canonical JSON, key)   {{spent['sign']:7.1f}} s")
    print(f"  validate (OpenAPI schema)    {{spent['validate']:7.1f}} s")
    print(f"  HTTP (client + simulator)    {{spent['http']:7.1f}} s  "
          f"({{spent['request_seconds']:.1f}} request-seconds)")
    print(f"  record (states, events)      {{spent['record']:7.1f}} s")
    print(f"  payments now: {{states}}; load average {{os.getloadavg()}}")
    print(f"  bar: {{bar:,}} payments/s: "
          f"{{'met' if n / total >= bar else 'NOT met'}}", flush=True)
    return total

received = []

def keep(url, body, headers=None):
    received.append((url, body))
    return 200

def mpesa_dispatch(sim, in_flight, bar=0):
    mpesa_fsp.sudo().write({{"api_url": sim.base_url, "rate_limit_tps": MPESA_TPS,
                            "requests_in_flight": in_flight}})
    label = (f"M-Pesa dispatch (one request per payment, {{in_flight}} in flight, "
             f"{{MPESA_LATENCY * 1000:.0f}} ms a round trip, rate limit "
             f"{{MPESA_TPS or 'none'}}/s)")
    return dispatch(label, mpesa_fsp, whole=True, bar=bar)

def dispatch_mpesa():
    # Sent to the Daraja simulator; its Result callbacks kept in ``received``.
    with MpesaSimulator(key, max_seconds=3600, deliver=keep,
                        latency=MPESA_LATENCY) as sim:
        mpesa_dispatch(sim, MPESA_IN_FLIGHT)
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
        # Signed as a production receiver would ask (Ed25519, the spec's
        # Signature string): the key is loaded once per process.
        fsp = configure("bench G2P", "g2p_connect", sim.base_url,
                        api_username="spp", api_secret="secret",
                        g2p_payer_fa="account:1@central-bank",
                        g2p_signing="ed25519",
                        g2p_signing_key=base64.b64encode(bytes(range(32))).decode())
        dispatch("G2P Connect dispatch", fsp)
        assert not sim.violations, sim.violations[:3]

if "phee" in ONLY:
    with PheeSimulator(max_seconds=3600) as sim:
        fsp = configure("bench PHEE", "phee", sim.base_url, api_username="mifos",
                        api_secret="password", phee_tenant="ibank-usa")
        dispatch("Payment Hub EE dispatch", fsp)
        assert not sim.violations, sim.violations[:3]

if "mpesa" in ONLY:
    with MpesaSimulator(key, max_seconds=3600, deliver=keep,
                        latency=MPESA_LATENCY) as sim:
        # The bar: the FSP's rate when it has one (a job cannot go faster), at
        # most what requests in flight allow over that round trip.
        bar = min(MPESA_TPS or 1000, 1000,
                  MPESA_IN_FLIGHT / MPESA_LATENCY if MPESA_LATENCY else 1000)
        mpesa_dispatch(sim, MPESA_IN_FLIGHT, round(bar * 0.8))
        sim.flush()
        assert not sim.violations, sim.violations[:3]
        mpesa_ids = ids
        if SEQUENTIAL:
            mpesa_dispatch(sim, 1)
            sim.flush()
            assert not sim.violations, sim.violations[:3]
        ids = mpesa_ids
    print(f"M-Pesa result callbacks queued: {{len(received):,}}", flush=True)
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
          f"{{len(received) / ingest:,.0f}} callbacks/s "
          f"(HTTP answers {{dict(results)}})")
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
        "--mpesa-tps",
        type=float,
        default=0,
        help="the M-Pesa FSP's rate limit (requests/s; 0: none)",
    )
    parser.add_argument(
        "--mpesa-latency",
        type=float,
        default=0.05,
        help="seconds the M-Pesa simulator takes to answer (a network round trip)",
    )
    parser.add_argument(
        "--mpesa-in-flight",
        type=int,
        default=8,
        help="M-Pesa requests in flight at once per delivery job",
    )
    parser.add_argument(
        "--only",
        default="g2p,phee,mpesa",
        help="the connectors to run (g2p, phee, mpesa: dispatch and callbacks)",
    )
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(
            payments=args.payments,
            profile=args.profile,
            mpesa_tps=args.mpesa_tps,
            mpesa_in_flight=args.mpesa_in_flight,
            mpesa_latency=args.mpesa_latency,
            only=set(args.only.split(",")),
            slices=3,
        ),
        addons="spp_payment_g2p_connect,spp_payment_mpesa,spp_payment_phee",
        update=True,
    )


if __name__ == "__main__":
    main()

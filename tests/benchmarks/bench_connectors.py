#!/usr/bin/env python3
"""Benchmark: the API connectors against their loopback simulators.

    python3 tests/benchmarks/bench_connectors.py [--database spp_bench_payroll]
                                                 [--payments 100000]

Needs the database of ``bench_payroll.py``. Takes ``--payments`` payments of its
latest payroll (in a transaction rolled back at the end) and prints:

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

CODE = """
import json, time
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
    return env["spp.fsp"].create(dict(
        name=name, provider=provider, state="enabled", api_url=url,
        retry_backoff_seconds=0, rate_limit_tps=0, batch_size=1000,
        callback_base_url="http://127.0.0.1:1", **vals))

# The M-Pesa FSP is committed (and deleted at the end): the callbacks sent
# through Odoo's HTTP dispatch below run in their own transactions.
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
public = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
mpesa_fsp = configure("bench M-Pesa", "mpesa", "http://127.0.0.1:1", api_key="k",
                      api_secret="s", mpesa_shortcode="600999", mpesa_initiator="spp",
                      mpesa_initiator_password="Safaricom999!",
                      mpesa_certificate=public.decode())
env.cr.commit()
env.cr.execute("SELECT payroll_id FROM spp_payment WHERE payroll_id IS NOT NULL "
               "ORDER BY id DESC LIMIT 1")
payroll = env["spp.payroll"].browse(env.cr.fetchone()[0])
env.cr.execute("SELECT id FROM spp_payment WHERE payroll_id = %s "
               "AND NOT entitlement_rejected ORDER BY id LIMIT %s", [payroll.id, LIMIT])
ids = [r[0] for r in env.cr.fetchall()]
print(f"payroll {{payroll.name}}: {{len(ids):,}} payments per connector", flush=True)

def prepare(fsp, whole=False):
    env.cr.execute("UPDATE spp_payroll_run SET state = 'done' WHERE payroll_id = %s",
                   [payroll.id])
    env.cr.execute(
        "UPDATE spp_payment SET state = 'approved', fsp_id = %s, channel = 'digital', "
        "destination_type = 'mobile', current_attempt_id = NULL, "
        "destination = '+2547' || lpad((id %% 100000000)::text, 8, '0')"
        + (", amount = round(amount)" if whole else "")
        + " WHERE id = ANY(%s)", [fsp.id, ids])
    env.invalidate_all()

def dispatch(label, fsp, whole=False):
    prepare(fsp, whole)
    spent.clear(); calls.clear()
    payments = env["spp.payment"].browse(ids)
    start = time.perf_counter()
    run_record = env["spp.payroll.run"]._spp_start(payroll, payments, "execute")
    env.flush_all()
    enqueue = time.perf_counter() - start
    prefix = f"spp.payroll.run({{run_record.id}},)%"
    jobs = env["queue.job"].search([("state", "=", "pending"),
                                    ("func_string", "like", prefix)])
    performing = time.perf_counter()
    for record in jobs:
        job = Job.load(env, record.uuid)
        job.set_started(); job.store()
        job.perform()
        job.set_done(); job.store()
    env.flush_all()
    perform = time.perf_counter() - performing
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

with G2pConnectSimulator(max_seconds=3600) as sim:
    fsp = configure("bench G2P", "g2p_connect", sim.base_url, api_username="spp",
                    api_secret="secret", g2p_payer_fa="account:1@central-bank")
    dispatch("G2P Connect dispatch", fsp)
    assert not sim.violations, sim.violations[:3]

with PheeSimulator(max_seconds=3600) as sim:
    fsp = configure("bench PHEE", "phee", sim.base_url, api_username="mifos",
                    api_secret="password", phee_tenant="ibank-usa")
    dispatch("Payment Hub EE dispatch", fsp)
    assert not sim.violations, sim.violations[:3]

received = []

def keep(url, body, headers=None):
    received.append((url, body))
    return 200

with MpesaSimulator(key, max_seconds=3600, deliver=keep) as sim:
    fsp = mpesa_fsp
    fsp.sudo().api_url = sim.base_url
    dispatch("M-Pesa dispatch (one request per payment)", fsp, whole=True)
    sim.flush()
    assert not sim.violations, sim.violations[:3]
print(f"M-Pesa result callbacks queued: {{len(received):,}}", flush=True)
receive = env["spp.payment.callback"].sudo()._spp_receive
results = Counter()
start = time.perf_counter()
for url, body in received:
    parts = urlsplit(url).path.split("/")
    status, _answer = receive(parts[3], parts[4], json.dumps(body).encode(),
                              {{"x-spp-callback-kind": parts[5]}})
    results[status] += 1
env.flush_all()
ingest = time.perf_counter() - start
env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
               "GROUP BY state ORDER BY state", [ids])
print(f"M-Pesa callbacks ingested: {{len(received):,}} in {{ingest:.1f}} s = "
      f"{{len(received) / ingest:,.0f}} callbacks/s (HTTP answers {{dict(results)}})")
print(f"  payments now: {{dict(env.cr.fetchall())}}", flush=True)

# Odoo's own HTTP dispatch of a callback (routing, request, cursor, commit),
# on a sample through the WSGI application; those callbacks name keys this
# transaction has not committed, so they are recorded and ignored, and deleted.
from werkzeug.test import Client
from odoo.http import root
from odoo.tools import config
config["dbfilter"] = f"^{{env.cr.dbname}}$"
sample = received[: min(2000, len(received))]
client = Client(root)
secret = fsp.sudo().callback_secret
start = time.perf_counter()
for url, body in sample:
    kind = urlsplit(url).path.split("/")[5]
    client.post(f"/spp_payment/callback/mpesa/{{secret}}/{{kind}}",
                data=json.dumps(body), content_type="application/json")
through_http = (time.perf_counter() - start) / len(sample)
print(f"  per callback through Odoo's WSGI dispatch: {{through_http * 1000:.2f}} ms "
      f"(in-process inbox alone: {{ingest / len(received) * 1000:.2f}} ms)")
env.cr.rollback()
env.cr.execute("DELETE FROM spp_payment_callback WHERE fsp_id = %s", [mpesa_fsp.id])
env.cr.execute("DELETE FROM spp_fsp WHERE id = %s", [mpesa_fsp.id])
env.cr.commit()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_payroll")
    parser.add_argument("--payments", type=int, default=100_000)
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(payments=args.payments),
        addons="spp_payment_g2p_connect,spp_payment_mpesa,spp_payment_phee",
        update=True,
    )


if __name__ == "__main__":
    main()

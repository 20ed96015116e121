#!/usr/bin/env python3
"""Benchmark: status queries and API pulls of 100,000 open payments, in jobs.

    python3 tests/benchmarks/bench_status_pull.py [--database spp_bench_payroll]
                                                  [--payments 100000]

Needs the database of ``bench_payroll.py``. Takes ``--payments`` payments of its
latest payroll, dispatches them to the G2P Connect simulator (whose callbacks
are all lost: the payments stay accepted, the simulator has paid them), then:

* the API pull as a Finance Officer presses it: the request (which queues one
  job per chunk and asks no FSP), then its jobs run as the job runner would
  (each committed): payments/s, lines recorded, payments unchanged until a
  checker accepts the batch;
* the status cron: its run (which queues one job per chunk of stale payments
  and asks no FSP), then its jobs: payments/s, payments moved.

Both within the FSP's rate limit (``--tps`` requests a second, one request per
chunk of ``--chunk`` payments). The load average is printed with the figures.
"""

import argparse

from odoo_runner import run

CODE = """
import bisect, os, time
from odoo import SUPERUSER_ID
from odoo.addons.queue_job.job import Job
from spp_payment_core.simulators.g2p_connect import G2pConnectSimulator

LIMIT = {payments}
print(f"load average {{os.getloadavg()}}", flush=True)
env.cr.execute("SELECT payroll_id FROM spp_payment WHERE payroll_id IS NOT NULL "
               "ORDER BY id DESC LIMIT 1")
payroll = env["spp.payroll"].browse(env.cr.fetchone()[0])
env.cr.execute("SELECT id FROM spp_payment WHERE payroll_id = %s "
               "AND NOT entitlement_rejected ORDER BY id LIMIT %s", [payroll.id, LIMIT])
ids = [r[0] for r in env.cr.fetchall()]
finance = env.ref("base.user_admin")
finance.group_ids |= env.ref("spp_payment_base.group_spp_finance_officer")
env.cr.commit()


def run_jobs(like):
    # The pending jobs whose function matches ``like``, each in a committed
    # transaction, as the job runner runs them: (jobs, seconds, seconds each).
    start = time.perf_counter()
    each = []
    while True:
        jobs = env["queue.job"].search([("state", "=", "pending"),
                                        ("func_string", "like", like)])
        if not jobs:
            return len(each), time.perf_counter() - start, each
        for record in jobs:
            began = time.perf_counter()
            job = Job.load(env, record.uuid)
            job.set_started(); job.store()
            job.perform()
            job.set_done(); job.store()
            env.cr.commit()
            each.append(time.perf_counter() - began)


def chunk_trend(each):
    # Seconds a chunk at the start and at the end: growing means the jobs
    # slow down with what was already done (a scan, a whole-recordset load).
    tenth = max(len(each) // 10, 1)
    first, last = each[:tenth], each[-tenth:]
    return (f"{{sum(first) / len(first):.3f}} s a chunk in the first {{len(first)}}, "
            f"{{sum(last) / len(last):.3f}} s in the last {{len(last)}}")


def rate_verdict(label, times):
    # FSP requests the jobs made, as the simulator received them: their mean
    # rate and the most in any one second, against the FSP's limit (a token
    # bucket of burst one: at most tps + 1 in a closed second).
    times = sorted(times)
    peak = max((bisect.bisect_right(times, t + 1.0) - i
                for i, t in enumerate(times)), default=0)
    span = times[-1] - times[0] if len(times) > 1 else 0
    mean = (len(times) - 1) / span if span else 0
    met = peak <= {tps} + 1
    print(f"{{label}}: {{len(times)}} FSP requests, {{mean:.1f}} requests/s on "
          f"average, at most {{peak}} in any second, rate limit {{{tps}:g}}/s: "
          f"within the rate limit: {{'met' if met else 'NOT met'}}", flush=True)
    return met


def states():
    env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
                   "GROUP BY state ORDER BY state", [ids])
    return dict(env.cr.fetchall())


bars = {{}}
with G2pConnectSimulator(max_seconds=7200) as sim:
    vals = dict(name="bench G2P pull", provider="g2p_connect", state="enabled",
                api_url=sim.base_url, api_username="spp", api_secret="secret",
                g2p_payer_fa="account:1@central-bank", retry_backoff_seconds=0,
                max_retries=1000,  # each run is one more attempt per payment
                rate_limit_tps={tps}, batch_size={chunk},
                status_query_after_minutes=0,
                callback_base_url="http://127.0.0.1:1")
    fsp = env["spp.fsp"].search([("name", "=", vals["name"])], limit=1)
    fsp = fsp.write(vals) and fsp if fsp else env["spp.fsp"].create(vals)
    # Earlier runs of this benchmark: their pulls and attempts are closed.
    env.cr.execute("UPDATE spp_reconciliation SET cleared = true "
                   "WHERE payroll_id = %s AND source = 'api'", [payroll.id])
    env.cr.execute("UPDATE spp_payroll_run SET state = 'done' WHERE payroll_id = %s",
                   [payroll.id])
    env.cr.execute("UPDATE spp_payment_attempt SET state = 'failed' "
                   "WHERE payment_id = ANY(%s) AND state <> 'failed'", [ids])
    env.cr.execute("ALTER TABLE spp_payment DISABLE TRIGGER "
                   "spp_payment_payroll_lock_update")
    env.cr.execute(
        "UPDATE spp_payment SET state = 'approved', fsp_id = %s, channel = 'digital', "
        "destination_type = 'mobile', current_attempt_id = NULL, "
        "destination = '+2547' || lpad((id %% 10000000)::text, 7, '0') || '9' "
        "WHERE id = ANY(%s)", [fsp.id, ids])
    env.cr.execute("ALTER TABLE spp_payment ENABLE TRIGGER "
                   "spp_payment_payroll_lock_update")
    env.invalidate_all()
    env.cr.commit()
    run_record = env["spp.payroll.run"]._spp_start(
        payroll, env["spp.payment"].browse(ids), "execute")
    env.cr.commit()
    _jobs, seconds, _each = run_jobs(f"spp.payroll.run({{run_record.id}},)%")
    sim.callbacks.clear()  # every result callback lost
    print(f"dispatched {{len(ids):,}} payments in {{seconds:.1f}} s: {{states()}}",
          flush=True)

    # The API pull, as the Finance Officer presses it (the benchmark's payroll
    # was never approved: its status says executed).
    env.cr.execute("UPDATE spp_payroll SET status = 'executed' WHERE id = %s",
                   [payroll.id])
    env.invalidate_all()
    env.cr.commit()
    asked = []  # monotonic times of the status requests the FSP received
    sim.on_request = lambda method, path, headers, body: (
        "status" in path and asked.append(time.monotonic()))
    start = time.perf_counter()
    action = payroll.with_user(finance).action_pull_reconciliation()
    env.cr.commit()
    pressed = time.perf_counter() - start
    batch = env["spp.reconciliation"].browse(action["res_id"])
    asked_in_request = len(asked)
    assert asked_in_request == 0, f"the pull asked the FSP {{asked_in_request}} times"
    queued = env["queue.job"].search_count([
        ("func_string", "like", f"spp.reconciliation({{batch.id}},)._job_pull_chunk%"),
        ("state", "=", "pending")])
    print(f"pull pressed: {{pressed:.2f}} s in the user's request, {{queued}} chunk "
          f"jobs queued ({{batch.pull_chunk_count}} chunks), {{asked_in_request}} FSP "
          f"requests in the request, payments {{states()}}", flush=True)
    jobs, seconds, each = run_jobs(
        f"spp.reconciliation({{batch.id}},)._job_pull_chunk%")
    batch.invalidate_recordset()
    print(f"pull jobs: {{len(ids):,}} payments in {{seconds:.1f}} s = "
          f"{{len(ids) / seconds:,.0f}} payments/s ({{jobs}} jobs, "
          f"{{chunk_trend(each)}}); batch "
          f"{{batch.approval_state}}, {{batch.line_count:,}} lines, "
          f"{{batch.pull_chunks_done}}/{{batch.pull_chunk_count}} chunks; "
          f"payments {{states()}}", flush=True)
    bars["pull"] = (queued > 1 and jobs == queued, asked_in_request == 0,
                    rate_verdict("pull jobs", asked))
    env.cr.execute("UPDATE spp_reconciliation SET cleared = true WHERE id = %s",
                   [batch.id])
    env.cr.commit()

    # The status cron: it queues, its jobs ask.
    env.cr.execute("UPDATE spp_payment_attempt SET write_date = "
                   "now() at time zone 'utc' - interval '1 hour' "
                   "WHERE payment_id = ANY(%s)", [ids])
    env.cr.commit()
    asked.clear()
    queued = ran = 0
    in_cron = 0  # FSP requests made while the cron ran, in all its rounds
    while True:
        # One round per cron run: at most _spp_stale_payments' limit each.
        before = len(asked)
        start = time.perf_counter()
        count = fsp._spp_enqueue_status_queries()
        env.cr.commit()
        cron = time.perf_counter() - start
        in_cron += len(asked) - before
        assert len(asked) == before, "the status cron asked the FSP"
        if not count:
            break
        queued += count
        like = f"spp.fsp({{fsp.id}},)._job_spp_query_chunk%"
        payments = sum(len(job.args[0]) for job in env["queue.job"].search(
            [("state", "=", "pending"), ("func_string", "like", like)]))
        jobs, seconds, each = run_jobs(like)
        ran += jobs
        print(f"status round: {{count}} chunk jobs queued in {{cron:.2f}} s by the "
              f"cron ({{in_cron}} FSP requests in it), {{jobs}} jobs run in "
              f"{{seconds:.1f}} s = {{payments / seconds:,.0f}} payments/s "
              f"({{payments:,}} payments, {{chunk_trend(each)}})",
              flush=True)
    sim.on_request = None
    print(f"status queries: {{len(asked)}} FSP requests for {{queued}} chunks; "
          f"payments {{states()}}", flush=True)
    bars["status cron"] = (queued > 1 and ran == queued, in_cron == 0,
                           rate_verdict("status jobs", asked))
for label, (chunked, outside, rate) in bars.items():
    for bar, ok in (("run as chunked jobs", chunked),
                    ("never inside a user's request", outside),
                    ("within the rate limit", rate)):
        print(f"{{label}}: {{bar}}: {{'met' if ok else 'NOT met'}}", flush=True)
print(f"load average {{os.getloadavg()}}", flush=True)
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_payroll")
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--tps", type=float, default=20)
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(payments=args.payments, chunk=args.chunk, tps=args.tps),
        addons="spp_payment_g2p_connect,spp_payment_reconciliation",
        update=True,
    )


if __name__ == "__main__":
    main()

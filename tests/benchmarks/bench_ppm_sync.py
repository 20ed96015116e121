#!/usr/bin/env python3
# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Benchmark: a PPM device syncs 10,000 signed cash payments with photos.

    python3 tests/benchmarks/bench_ppm_sync.py [--events 10000] [--chunk 500]
        [--photo-kb 50] [--database spp_bench_ppm]

Builds its own world in a fresh database (program, cycle, one payroll of
``--events`` payments sent through a cash FSP, one payment point, one PPM and
float, one enrolled device), signs one event per payment with a P-256 key as
the browser would (a distinct ``--photo-kb`` kB JPEG-like photo each), syncs
them in chunks through the sync service the /ppm/api/sync route calls
(signature checks, chain, rules, lines, photo attachments, submission), each
chunk committed, then a Finance Manager accepts every batch. Prints events/s
and server ms per event, for the sync and for the acceptance.
"""

import argparse

from odoo_runner import run

CODE = """
import base64, hashlib, os, time, uuid
from cryptography.hazmat.primitives.asymmetric import ec
from spp_payment_core import ppm
from odoo import Command
from odoo.tools import SQL

N, CHUNK, PHOTO = {events}, {chunk}, {photo_kb} * 1024
env = env(context=dict(env.context, tracking_disable=True))
t0 = time.perf_counter()

def approved(record):
    env.flush_all()
    env.cr.execute(SQL("UPDATE %s SET approval_state = 'approved' WHERE id = ANY(%s)",
                       SQL.identifier(record._table), record.ids))
    record.invalidate_recordset()

def user(login, groups):
    return env["res.users"].create({{"name": login, "login": login, "password": login,
        "group_ids": [Command.set([env.ref(g).id for g in groups])]}})

cash = env["spp.fsp"].create({{"name": "Cash", "provider": "cash", "state": "enabled"}})
program = env["spp.program"].create({{"name": "Bench PPM", "code": "BPPM",
    "target_type": "household", "destination_quarantine_days": 0}})
approved(program)
partners = env["res.partner"].create([{{"name": f"Household {{n}}",
    "is_registrant": True, "registrant_type": "household",
    "registrant_number": f"B-{{n:06d}}"}} for n in range(N)])
env["spp.program.membership"].create([{{"program_id": program.id, "partner_id": p.id,
    "fsp_id": cash.id}} for p in partners])
cycle = env["spp.payment.cycle"].create({{"name": "2026-11", "program_id": program.id,
    "date_start": "2026-11-01", "date_end": "2026-11-30", "fixed_amount": 50.0}})
approved(cycle)
payroll = env["spp.payroll"].create({{"name": "Bench", "cycle_id": cycle.id}})
payroll.action_generate()
approved(payroll)
payments = payroll.payment_ids.sorted("id")
point = env["spp.payment.point"].create({{"name": "Market", "code": "PP-B",
    "latitude": -1.28, "longitude": 36.8, "radius_m": 500}})
ppm_user = user("bench_ppm", ["base.group_portal", "spp_payment_point.group_spp_ppm"])
checker = user("bench_fm", ["spp_payment_base.group_spp_finance_manager"])
manager = env["spp.payment.point.manager"].create({{"name": "Bench PPM",
    "user_id": ppm_user.id, "point_ids": [Command.link(point.id)]}})
approved(manager)
part = env["spp.payroll.point"].create({{"payroll_id": payroll.id,
    "payment_point_id": point.id, "manager_id": manager.id}})
float_ = env["spp.ppm.float"].create({{"name": "Float", "manager_id": manager.id,
    "cycle_id": cycle.id, "payroll_id": payroll.id, "payroll_point_id": part.id,
    "payment_point_id": point.id, "amount_issued": sum(payments.mapped("amount"))}})
part.float_id = float_
env.flush_all()
env.cr.execute(SQL("UPDATE spp_payment SET payroll_point_id = %s, "
                   "payment_point_id = %s, ppm_id = %s WHERE id = ANY(%s)",
                   part.id, point.id, manager.id, payments.ids))
payments.invalidate_recordset()
payments._set_approved()
payments._set_queued()
payments._set_sent()
key = ec.generate_private_key(ec.SECP256R1())
device = env["spp.ppm.device"].create({{"name": "Bench phone", "manager_id": manager.id,
    "public_key": ppm.public_spki_b64(key)}})
env.cr.commit()
print(f"world of {{N:,}} sent payments built in {{time.perf_counter() - t0:.1f}} s",
      flush=True)

rows = [(p.id, f"{{p.amount:.2f}}") for p in payments]
service = env["spp.ppm.sync"].with_user(ppm_user)
seq, prev = 0, ""
sync_s = sign_s = 0.0
verdicts = {{}}
batches = []
for start in range(0, N, CHUNK):
    t = time.perf_counter()
    events = []
    for payment_id, amount in rows[start:start + CHUNK]:
        seq += 1
        photo = b"\\xff\\xd8\\xff\\xe0" + os.urandom(PHOTO - 4)
        event = {{"client_uuid": str(uuid.uuid4()), "seq": seq,
            "payment_id": payment_id, "amount": amount,
            "paid_at": "2026-11-20T09:12:03Z", "latitude": -1.2801,
            "longitude": 36.8001, "accuracy": 12.0,
            "photo_sha256": hashlib.sha256(photo).hexdigest(),
            "photo": base64.b64encode(photo).decode(), "notes": "", "extra": {{}},
            "prev_hash": prev}}
        message = ppm.event_message(event)
        event["signature"] = ppm.sign_raw(key, message)
        prev = ppm.event_hash(message)
        events.append(event)
    sign_s += time.perf_counter() - t
    t = time.perf_counter()
    manager_rec = service._spp_manager()
    answer = service._spp_sync(manager_rec, device.id, str(uuid.uuid4()), events)
    env.cr.commit()
    sync_s += time.perf_counter() - t
    batches.append(answer["batch"]["id"])
    for result in answer["results"]:
        verdicts[result["verdict"]] = verdicts.get(result["verdict"], 0) + 1
print(f"client side (photos made, events signed): {{sign_s:.1f}} s")
print(f"sync of {{N:,}} events in chunks of {{CHUNK}}: {{sync_s:.1f}} s, "
      f"{{N / sync_s:,.0f}} events/s, {{1000 * sync_s / N:.2f}} server ms per event")
print("  verdicts:", verdicts)
t = time.perf_counter()
batch_model = env["spp.reconciliation"].with_user(checker)
for batch_id in batches:
    batch_model.browse(batch_id).action_approve()
    env.cr.commit()
accept_s = time.perf_counter() - t
env.cr.execute("SELECT state, COUNT(*) FROM spp_payment WHERE id = ANY(%s) "
               "GROUP BY state ORDER BY state", [payments.ids])
print(f"acceptance of {{len(batches)}} batches: {{accept_s:.1f}} s, "
      f"{{N / accept_s:,.0f}} events/s, {{1000 * accept_s / N:.2f}} ms per event")
print("  payments now:", dict(env.cr.fetchall()))
float_.invalidate_recordset()
print(f"  float handed out {{float_.amount_handed_out:,.2f}} of "
      f"{{float_.amount_issued:,.2f}}")
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database", default="spp_bench_ppm")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    parser.add_argument("--photo-kb", type=int, default=50)
    args = parser.parse_args()
    run(
        args.database,
        CODE.format(events=args.events, chunk=args.chunk, photo_kb=args.photo_kb),
        addons="spp_ppm_app",
        fresh=True,
    )


if __name__ == "__main__":
    main()

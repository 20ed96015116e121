# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
# ruff: noqa: E501  (SETUP is a shell snippet, kept on whole lines)
"""Voucher redemption round trip at a till, against a served Odoo: a cashier's
JSON-RPC ``pos.payment.method.spp_voucher_authorize`` (the hold the POS asks for,
through the ledger's locked method), then its release, at 1, 10 and 50
concurrent clients (each on its own voucher). Prints p50/p95/p99 of the hold.

    PYTHONPATH=$PWD/lib python3 tests/benchmarks/bench_voucher_redeem.py [--calls N]
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "setup"))

from spp_setup import pg  # noqa: E402
from spp_setup.common import ADDONS, LOCAL, PYTHON  # noqa: E402

DATABASE = "spp_bench_voucher"
CLIENTS = (1, 10, 50)
SETUP = """
import json
from datetime import date, timedelta
from spp_payment_core import voucher_token as vt
from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_voucher.models.spp_voucher import LEDGER_GUARD
env = env(su=True)
if not env.company.chart_template:
    env["account.chart.template"].try_loading("generic_coa", env.company, install_demo=False)
config = env["pos.config"].search([("name", "=", "Bench Till")], limit=1)
if not config:
    program = env["spp.program"].create({"name": "Bench", "code": "BV", "target_type": "household"})
    env["spp.voucher.key"].create({"name": "Bench key", "program_id": program.id})
    merchant = env["spp.merchant"].create({"partner_id": env["res.partner"].create({"name": "Bench Shop"}).id})
    env.cr.execute("UPDATE spp_merchant SET approval_state = 'approved' WHERE id = %%s", [merchant.id])
    merchant.invalidate_recordset()
    env["res.users"].create({"name": "Bench Cashier", "login": "bench_cashier", "password": "bench_cashier",
        "group_ids": [(4, env.ref("point_of_sale.group_pos_user").id)]})
    config = env["pos.config"].create({"name": "Bench Till", "spp_merchant_id": merchant.id})
    codes = []
    for n in range(%(clients)d):
        household = env["res.partner"].create({"name": f"Bench HH {n}", "is_registrant": True,
            "registrant_type": "household", "registrant_number": f"BV-{n:04d}"})
        member = env["spp.program.membership"].create({"program_id": program.id, "partner_id": household.id})
        payment = env["spp.payment"].create({"program_id": program.id, "membership_id": member.id,
            "partner_id": household.id, "channel": "voucher", "amount": 1000000})
        code = vt.new_code()
        with guarded_write(LEDGER_GUARD):
            env["spp.voucher"].create({"name": f"BV-{n:05d}", "payment_id": payment.id,
                "program_id": program.id, "company_id": env.company.id,
                "currency_id": env.company.currency_id.id, "partner_id": household.id,
                "amount": 1000000, "balance": 1000000, "valid_from": date.today() - timedelta(days=1),
                "valid_until": date.today() + timedelta(days=365), "code_hash": vt.code_hash(code)})
        codes.append(code)
    env["ir.config_parameter"].set_param("spp_bench_voucher.codes", json.dumps(codes))
cashier = env["res.users"].search([("login", "=", "bench_cashier")])
cashier.group_ids |= env.ref("base.group_user")
if not config.current_session_id:
    config.with_user(cashier).open_ui()
    config.current_session_id.set_opening_control(0, None)
session = config.current_session_id
out = {"session": session.id, "method": config._spp_voucher_payment_method().id,
       "codes": json.loads(env["ir.config_parameter"].get_param("spp_bench_voucher.codes"))}
open("%(out)s", "w").write(json.dumps(out))
env.cr.commit()
"""


def odoo(server, subcommand, *args):
    command = [PYTHON, "-m", "odoo", *subcommand, *server.odoo_args(), "-d", DATABASE]
    command += [f"--addons-path={ADDONS}", "--data-dir", str(LOCAL / "filestore")]
    return command + list(args)


def rpc(http, url, model, method, args):
    body = {
        "jsonrpc": "2.0",
        "method": "call",
        "id": 1,
        "params": {"model": model, "method": method, "args": args, "kwargs": {}},
    }
    reply = http.post(f"{url}/web/dataset/call_kw", json=body, timeout=60).json()
    if "error" in reply:
        raise RuntimeError(reply["error"]["data"]["message"])
    return reply["result"]


def client(url, fixture, code, calls, latencies, refusals):
    http = requests.Session()
    http.post(
        f"{url}/web/session/authenticate",
        json={
            "jsonrpc": "2.0",
            "params": {
                "db": DATABASE,
                "login": "bench_cashier",
                "password": "bench_cashier",
            },
        },
        timeout=60,
    )
    for _ in range(calls):
        line = str(uuid.uuid4())
        start = time.perf_counter()
        answer = rpc(
            http,
            url,
            "pos.payment.method",
            "spp_voucher_authorize",
            [[fixture["method"]], fixture["session"], code, 1.0, line],
        )
        latencies.append(time.perf_counter() - start)
        if not answer["ok"]:
            refusals.append(answer["error"])
            continue
        rpc(
            http,
            url,
            "pos.payment.method",
            "spp_voucher_release",
            [[fixture["method"]], fixture["session"], line],
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=40, help="holds per client")
    args = parser.parse_args()
    server = pg.start_private(fast=True, sized=True)
    process = None
    try:
        if not pg.database_exists(server, DATABASE):
            print(f"creating database {DATABASE}...", flush=True)
            subprocess.run(
                odoo(
                    server,
                    [],
                    "-i",
                    "spp_voucher_pos",
                    "--stop-after-init",
                    "--no-http",
                    "--log-level=warn",
                ),
                env=server.env(),
                check=True,
            )
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            code = SETUP % {"clients": max(CLIENTS), "out": out.name}
            subprocess.run(
                odoo(server, ["shell"], "--no-http", "--log-level=warn"),
                input=code,
                text=True,
                env=server.env(),
                check=True,
            )
            fixture = json.loads(Path(out.name).read_text())
        port = pg.free_port()
        url = f"http://127.0.0.1:{port}"
        process = subprocess.Popen(
            odoo(
                server,
                [],
                "--http-interface=127.0.0.1",
                f"--http-port={port}",
                "--log-level=warn",
                "--max-cron-threads=0",
            ),
            env=server.env(),
        )
        for _ in range(120):
            try:
                if requests.get(f"{url}/web/login", timeout=5).status_code == 200:
                    break
            except requests.ConnectionError:
                time.sleep(1)
        print(f"hold round trip, {args.calls} holds per client (each then released)")
        for clients in CLIENTS:
            latencies, refusals = [], []
            threads = [
                threading.Thread(
                    target=client,
                    args=(
                        url,
                        fixture,
                        fixture["codes"][n],
                        args.calls,
                        latencies,
                        refusals,
                    ),
                )
                for n in range(clients)
            ]
            wall = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            wall = time.perf_counter() - wall
            cuts = statistics.quantiles(latencies, n=100)
            print(
                f"{clients:3d} clients: {len(latencies)} holds in {wall:.1f} s "
                f"({len(latencies) / wall:.0f}/s), p50 {cuts[49] * 1000:.0f} ms, "
                f"p95 {cuts[94] * 1000:.0f} ms, p99 {cuts[98] * 1000:.0f} ms, "
                f"{len(refusals)} refused",
                flush=True,
            )
    finally:
        if process:
            process.terminate()
            process.wait(timeout=60)
        pg.stop(server)


if __name__ == "__main__":
    main()

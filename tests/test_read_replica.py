"""With Odoo's ``db_replica_host`` set, the payments dashboard reads from the
streaming replica, not from the primary: deployments add read capacity with
PostgreSQL replicas, never with home-made distribution.

The test starts a real streaming standby of the private cluster, serves Odoo
over HTTP with ``--db_replica_host``/``--db_replica_port`` and proves where the
dashboard reads: with the standby's replay paused, a change committed on the
primary does not show on the dashboard; once replay resumes it does."""

import os
import shutil
import socket
import subprocess
import time

import pytest
import requests
from spp_setup import common, odoo_log, pg

REPO = common.REPO
LOGIN = "replica_viewer"

SEED = f"""
program = env["spp.program"].create(
    {{"name": "Replica Grant", "code": "RG", "target_type": "household",
      "destination_quarantine_days": 0}}
)
fsp = env["spp.fsp"].create(
    {{"name": "Replica Bank", "provider": "manual", "state": "enabled"}}
)
for number in range(3):
    household = env["res.partner"].create(
        {{"name": f"Household R{{number}}", "is_registrant": True,
          "registrant_type": "household", "registrant_number": f"R{{number}}"}}
    )
    membership = env["spp.program.membership"].create(
        {{"program_id": program.id, "partner_id": household.id, "fsp_id": fsp.id}}
    )
    env["spp.payment"].create(
        {{"program_id": program.id, "membership_id": membership.id,
          "partner_id": household.id, "fsp_id": fsp.id, "amount": 100 + number}}
    )
env.flush_all()
# Issued payments: the dashboard's amounts count them.
env.cr.execute("UPDATE spp_payment SET state = 'paid', paid_amount = amount")
env["res.users"].create(
    {{"name": "Replica Viewer", "login": "{LOGIN}", "password": "{LOGIN}",
      "group_ids": [(6, 0, [env.ref("spp_payment_base.group_spp_viewer").id])]}}
)
env.cr.commit()
print("SEED-OK")
"""


def _odoo(server, database, *args, subcommand=(), **kwargs):
    env = server.env()
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(REPO / "lib"), env.get("PYTHONPATH")])
    )
    command = [
        common.PYTHON,
        "-m",
        "odoo",
        *subcommand,
        *server.odoo_args(),
        "-d",
        database,
        f"--addons-path={common.ADDONS}",
        "--log-level=info",
        *args,
    ]
    return command, env


def _run(command, env, **kwargs):
    return subprocess.run(
        command,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        **kwargs,
    )


def _as_postgres(command):
    return pg._as_service_user([str(c) for c in command])


def _psql(port, database, sql):
    binaries = pg.find_binaries()
    result = subprocess.run(
        [
            binaries / "psql",
            "-X",
            "-q",
            "-t",
            "-A",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            pg.DB_USER,
            "-d",
            database,
            "-c",
            sql,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _wait_for_port(port, seconds=120):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.5)
    raise AssertionError(f"nothing listens on port {port}")


@pytest.fixture(scope="module")
def server():
    if not common.has_odoo19():
        pytest.skip("Odoo 19 is not importable")
    server = pg.configured_server() or pg.start_private(fast=True)
    if not server.data_dir:
        pg.stop(server)
        pytest.skip("a configured PostgreSQL server: no local cluster to replicate")
    yield server
    pg.stop(server)


@pytest.fixture
def replica(server, tmp_path):
    """A hot standby of the server, streaming from it, on a port of its own."""
    binaries = pg.find_binaries()
    data = server.data_dir.parent / f"replica-{tmp_path.name[-12:]}"
    shutil.rmtree(data, ignore_errors=True)
    pg._prepare_dir(data)
    os.chmod(data, 0o700)
    made = subprocess.run(
        _as_postgres(
            [
                binaries / "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                server.port,
                "-U",
                pg.DB_USER,
                "-D",
                data,
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    port = pg.free_port()
    sockets = server.data_dir.parent / "sockets"
    started = subprocess.run(
        _as_postgres(
            [
                binaries / "pg_ctl",
                "-D",
                data,
                "-o",
                f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 "
                "-c hot_standby=on",
                "-l",
                data.parent / f"{data.name}.log",
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        capture_output=True,
        text=True,
        check=False,
    )
    assert started.returncode == 0, started.stderr
    try:
        assert _psql(port, "postgres", "SELECT pg_is_in_recovery()") == "t"
        yield port
    finally:
        subprocess.run(
            _as_postgres(
                [binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
            check=False,
        )
        shutil.rmtree(data, ignore_errors=True)


def _issued(session, url):
    answer = session.post(
        f"{url}/web/dataset/call_kw",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": "spp.payment.dashboard",
                "method": "get_dashboard_data",
                "args": [],
                "kwargs": {},
            },
        },
        timeout=60,
    ).json()
    assert "result" in answer, answer
    (card,) = [c for c in answer["result"]["amounts"] if c["key"] == "issued"]
    return card["amount"]


def test_dashboard_reads_from_the_replica(server, replica, tmp_path):
    database = f"spp_replica_{tmp_path.name[-12:]}".replace("-", "_").lower()
    pg.drop_database(server, database)
    odoo_proc = None
    try:
        command, env = _odoo(
            server,
            database,
            "-i",
            "spp_payment_dashboard",
            "--stop-after-init",
            "--no-http",
        )
        made = _run(command, env)
        assert made.returncode == 0, made.stderr[-3000:]
        command, env = _odoo(server, database, "--no-http", subcommand=["shell"])
        seeded = _run(command, env, input=SEED)
        assert "SEED-OK" in seeded.stdout, seeded.stderr[-3000:]
        replica_port = replica
        try:
            http_port = pg.free_port()
            log = tmp_path / "odoo.log"
            command, env = _odoo(
                server,
                database,
                f"--http-port={http_port}",
                "--http-interface=127.0.0.1",
                f"--db-filter=^{database}$",
                "--db_replica_host=127.0.0.1",
                f"--db_replica_port={replica_port}",
                f"--logfile={log}",
                "--max-cron-threads=0",
            )
            odoo_proc = subprocess.Popen(command, env=env)
            _wait_for_port(http_port)
            url = f"http://127.0.0.1:{http_port}"
            session = requests.Session()
            login = session.post(
                f"{url}/web/session/authenticate",
                json={
                    "jsonrpc": "2.0",
                    "params": {"db": database, "login": LOGIN, "password": LOGIN},
                },
                timeout=60,
            ).json()
            assert login.get("result", {}).get("uid"), login

            assert _issued(session, url) == 303.0
            _psql(replica_port, database, "SELECT pg_wal_replay_pause()")
            _psql(server.port, database, "UPDATE spp_payment SET amount = amount * 2")
            assert (
                _psql(server.port, database, "SELECT sum(amount) FROM spp_payment")
                == "606.00"
            )
            # The primary holds 606; the dashboard still says what the paused
            # replica holds: it read there.
            assert _issued(session, url) == 303.0
            _psql(replica_port, database, "SELECT pg_wal_replay_resume()")
            deadline = time.monotonic() + 60
            while _issued(session, url) != 606.0:
                assert time.monotonic() < deadline, "the replica never caught up"
                time.sleep(0.5)

            text = log.read_text(errors="replace")
            # A dashboard that tried to write would have been retried on the
            # primary, with this warning.
            assert "retrying with a read/write cursor" not in text
            allowed = odoo_log.allow_list(REPO / "checklog-odoo.cfg")
            assert odoo_log.unexpected_lines(text, allowed) == []
        finally:
            if odoo_proc:
                odoo_proc.terminate()
                odoo_proc.wait(timeout=60)
    finally:
        pg.drop_database(server, database)

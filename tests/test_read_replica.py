"""With Odoo's ``db_replica_host`` set, the payments dashboard and the reports
(the program's accounting report, the donor report) read from the streaming
replica, not from the primary: deployments add read capacity with PostgreSQL
replicas, never with home-made distribution.

The tests start a real streaming standby of the private cluster, serve Odoo
over HTTP with ``--db_replica_host``/``--db_replica_port`` and prove where each
one reads: with the standby's replay paused, a change committed on the primary
does not show; once replay resumes it does. None tried to write (Odoo would
have retried it on the primary, and said so in its log)."""

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
FINANCE = "replica_finance"
MODULES = "spp_payment_dashboard,spp_payment_account,spp_payment_audit"

SEED = f"""
from odoo.addons.spp_approval.tools import guarded_write

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
# One payroll holds them (the reports read payrolls), of an approved cycle of
# the approved program (approved here without their maker-checker: set-up).
program.action_submit()
with guarded_write("approval"):
    program.write({{"approval_state": "approved"}})
cycle = env["spp.payment.cycle"].create(
    {{"name": "Replica cycle", "program_id": program.id, "fixed_amount": 100,
      "date_start": "2030-01-01", "date_end": "2030-01-31"}}
)
cycle.action_submit()
with guarded_write("approval"):
    cycle.write({{"approval_state": "approved"}})
payroll = env["spp.payroll"].create({{"name": "Replica payroll", "cycle_id": cycle.id}})
env.flush_all()
# Issued payments: the dashboard's and the reports' amounts count them.
env.cr.execute(
    "UPDATE spp_payment SET state = 'paid', paid_amount = amount, "
    "payroll_id = %s, cycle_id = %s", [payroll.id, cycle.id]
)
viewer = env["res.users"].create(
    {{"name": "Replica Viewer", "login": "{LOGIN}", "password": "{LOGIN}",
      "group_ids": [(6, 0, [env.ref("spp_payment_base.group_spp_viewer").id])]}}
)
env["res.users"].create(
    {{"name": "Replica Finance", "login": "{FINANCE}", "password": "{FINANCE}",
      "group_ids": [(6, 0, [
          env.ref("spp_payment_base.group_spp_finance_officer").id])]}}
)
# The viewer's donor report of the program (a wizard: its own record).
donor = env["spp.payment.donor.report"].with_user(viewer).create(
    {{"scope": "program", "program_id": program.id}}
)
env.cr.commit()
print(f"SEED-OK program={{program.id}} donor={{donor.id}}")
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


@pytest.fixture(scope="module")
def replica(server, tmp_path_factory):
    """A hot standby of the server, streaming from it, on a port of its own."""
    tmp_path = tmp_path_factory.mktemp("replica")
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


class Site:
    """Odoo served over HTTP with the replica configured, and what was seeded."""

    def __init__(self, url, database, primary_port, replica_port, seeded):
        self.url = url
        self.database = database
        self.primary_port = primary_port
        self.replica_port = replica_port
        self.ids = dict(
            item.split("=") for item in seeded.split("SEED-OK", 1)[1].split()
        )

    def session(self, login):
        session = requests.Session()
        answer = session.post(
            f"{self.url}/web/session/authenticate",
            json={
                "jsonrpc": "2.0",
                "params": {"db": self.database, "login": login, "password": login},
            },
            timeout=60,
        ).json()
        assert answer.get("result", {}).get("uid"), answer
        return session

    def call_kw(self, session, model, method, *args):
        answer = session.post(
            f"{self.url}/web/dataset/call_kw",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": {},
                },
            },
            timeout=60,
        ).json()
        assert "result" in answer, answer
        return answer["result"]

    def assert_reads_replica(self, read):
        """``read()`` (a figure the payments' amounts make) stays what the
        paused replica holds while the primary doubles every amount, and
        follows once replay resumes."""
        first = read()
        assert first > 0, first
        _psql(self.replica_port, self.database, "SELECT pg_wal_replay_pause()")
        try:
            _psql(
                self.primary_port,
                self.database,
                "UPDATE spp_payment SET amount = amount * 2, paid_amount = amount * 2",
            )
            primary = _psql(
                self.primary_port, self.database, "SELECT sum(amount) FROM spp_payment"
            )
            assert float(primary) == 2 * first
            # The primary holds twice as much; the read still says what the
            # paused replica holds: it read there.
            assert read() == first
        finally:
            _psql(self.replica_port, self.database, "SELECT pg_wal_replay_resume()")
        deadline = time.monotonic() + 60
        while read() != 2 * first:
            assert time.monotonic() < deadline, "the replica never caught up"
            time.sleep(0.5)


@pytest.fixture(scope="module")
def site(server, replica, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("odoo")
    database = f"spp_replica_{tmp_path.name[-12:]}".replace("-", "_").lower()
    pg.drop_database(server, database)
    odoo_proc = None
    try:
        command, env = _odoo(
            server, database, "-i", MODULES, "--stop-after-init", "--no-http"
        )
        made = _run(command, env)
        assert made.returncode == 0, made.stderr[-3000:]
        command, env = _odoo(server, database, "--no-http", subcommand=["shell"])
        seeded = _run(command, env, input=SEED)
        assert "SEED-OK" in seeded.stdout, seeded.stderr[-3000:]
        http_port = pg.free_port()
        log = tmp_path / "odoo.log"
        command, env = _odoo(
            server,
            database,
            f"--http-port={http_port}",
            "--http-interface=127.0.0.1",
            f"--db-filter=^{database}$",
            "--db_replica_host=127.0.0.1",
            f"--db_replica_port={replica}",
            f"--logfile={log}",
            "--max-cron-threads=0",
        )
        odoo_proc = subprocess.Popen(command, env=env)
        _wait_for_port(http_port)
        yield Site(
            f"http://127.0.0.1:{http_port}",
            database,
            server.port,
            replica,
            seeded.stdout,
        )
        text = log.read_text(errors="replace")
        # A read that tried to write would have been retried on the primary,
        # with this warning.
        assert "retrying with a read/write cursor" not in text
        allowed = odoo_log.allow_list(REPO / "checklog-odoo.cfg")
        assert odoo_log.unexpected_lines(text, allowed) == []
    finally:
        if odoo_proc:
            odoo_proc.terminate()
            odoo_proc.wait(timeout=60)
        pg.drop_database(server, database)


def test_dashboard_reads_from_the_replica(site):
    session = site.session(LOGIN)

    def issued():
        result = site.call_kw(session, "spp.payment.dashboard", "get_dashboard_data")
        (card,) = [c for c in result["amounts"] if c["key"] == "issued"]
        return card["amount"]

    site.assert_reads_replica(issued)


def test_accounting_report_reads_from_the_replica(site):
    session = site.session(FINANCE)
    program = int(site.ids["program"])

    def issued():
        data = site.call_kw(session, "spp.account.report", "get_report_data", program)
        assert data["payroll_count"] == 1
        return data["lines"][0]["suite_amount"]  # Issued (approved for payment)

    site.assert_reads_replica(issued)


def test_donor_report_reads_from_the_replica(site):
    session = site.session(LOGIN)
    donor = int(site.ids["donor"])

    def issued():
        figures = site.call_kw(
            session, "spp.payment.donor.report", "get_figures", [donor]
        )
        assert figures["total"]["count"] == 3, figures
        return float(figures["total"]["amount"])

    site.assert_reads_replica(issued)

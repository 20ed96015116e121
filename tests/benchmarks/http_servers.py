"""Odoo HTTP servers for benchmarks: real prefork servers (``--workers N``) on
free loopback ports, against a benchmark database, started and stopped here.

    with odoo_http(server, "spp_bench_callbacks", workers=4) as odoo:
        urlopen(odoo.url + "/web/health")

``server`` is the PostgreSQL of ``spp_setup.pg`` (configured or private). The
servers run no cron and no queue_job runner (``--load base,web``): what they
queue waits for the benchmark to run it. ``-d`` names the database and no
``--db-filter`` is given, so Odoo picks it without listing databases (a
filter makes every sessionless request, such as an FSP's callback, list
them).
"""

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "setup"))

from spp_setup import pg  # noqa: E402
from spp_setup.common import ADDONS, LOCAL, PYTHON  # noqa: E402


@dataclass
class OdooHttp:
    url: str
    process: subprocess.Popen
    workers: int
    log: Path

    def worker_pids(self):
        """The prefork server's worker processes (children of the master)."""
        try:
            children = Path(
                f"/proc/{self.process.pid}/task/{self.process.pid}/children"
            )
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def cpu_seconds(self):
        """User + system CPU of the master and its live workers."""
        total = 0.0
        tick = os.sysconf("SC_CLK_TCK")
        for pid in [self.process.pid, *self.worker_pids()]:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += (int(fields[11]) + int(fields[12])) / tick
        return total


def _command(server, database, workers, port, gevent_port, extra):
    return [
        PYTHON,
        str(Path(__file__).with_name("odoo_launcher.py")),
        "server",
        *server.odoo_args(),
        "-d",
        database,
        f"--addons-path={ADDONS}",
        "--data-dir",
        str(LOCAL / "filestore"),
        f"--http-port={port}",
        "--http-interface=127.0.0.1",
        f"--gevent-port={gevent_port}",
        f"--workers={workers}",
        "--max-cron-threads=0",
        "--load=base,web",
        "--no-database-list",
        "--limit-time-real=600",
        "--limit-time-cpu=600",
        "--limit-memory-soft=4294967296",
        "--limit-memory-hard=6442450944",
        f"--db_maxconn={max(16, 4 * workers)}",
        "--log-level=warn",
        *extra,
    ]


def _wait_until_up(url, process, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Odoo exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url + "/web/health", timeout=5) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"Odoo did not answer at {url} within {timeout} s")


@contextlib.contextmanager
def odoo_http(server, database, workers=2, extra=(), timeout=120):
    """A prefork Odoo server with ``workers`` HTTP workers; stopped (the
    process it started, by its id) on exit."""
    port, gevent_port = pg.free_port(), pg.free_port()
    log = LOCAL / f"odoo-http-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            _command(server, database, workers, port, gevent_port, extra),
            env=server.env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    odoo = OdooHttp(f"http://127.0.0.1:{port}", process, workers, log)
    try:
        _wait_until_up(odoo.url, process, timeout)
        # Every worker forked and has loaded the registry: warm them up.
        for _ in range(4 * workers):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(odoo.url + "/web/health", timeout=30).close()
        yield odoo
    finally:
        _stop(process)


def _stop(process):
    """SIGTERM (Odoo waits for its workers' requests), a second one (Odoo
    stops at once), then SIGKILL."""
    for stop, wait in ((process.terminate, 20), (process.terminate, 10)):
        if process.poll() is not None:
            return
        stop()
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
    if process.poll() is None:
        process.kill()
        process.wait()

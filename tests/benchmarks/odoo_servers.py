"""Several Odoo HTTP servers on one benchmark database, standing in for
several hosts: each its own process (``--workers`` or threaded), its own
configuration file (extra sections such as ``[queue_job]``), its own log, on
free ports; and a round-robin TCP balancer in front of them, standing in for
the load balancer (haproxy, nginx) of a deployment.

    from odoo_servers import Balancer, running_servers
    with running_servers(pg_server, "db", count=2, workers=2,
                         sections={"queue_job": {"channels": "root:4"}},
                         server_wide_modules="base,rpc,web,queue_job") as servers:
        ...  # servers[i].port, servers[i].url, servers[i].log_path

The servers are started here and stopped here (their process group only).
"""

import configparser
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "setup"))

from spp_setup import pg  # noqa: E402
from spp_setup.common import ADDONS, LOCAL, PYTHON  # noqa: E402

RUN_DIR = LOCAL / "bench_servers"


class OdooServer:
    """One ``odoo server`` process on ``database``, listening on a free port."""

    def __init__(
        self,
        pg_server,
        database,
        name,
        workers=0,
        options=None,
        sections=None,
        server_wide_modules="base,rpc,web",
        args=(),
    ):
        self.pg_server = pg_server
        self.database = database
        self.name = name
        self.port = pg.free_port()
        self.workers = workers
        RUN_DIR.mkdir(parents=True, exist_ok=True)
        self.conf_path = RUN_DIR / f"{name}.conf"
        self.log_path = RUN_DIR / f"{name}.log"
        self.options = {
            "addons_path": str(ADDONS),
            "data_dir": str(LOCAL / "filestore"),
            "db_name": database,
            "dbfilter": f"^{database}$",
            "list_db": "False",
            "http_interface": "127.0.0.1",
            "http_port": str(self.port),
            "gevent_port": str(pg.free_port()),
            "workers": str(workers),
            "max_cron_threads": "0",
            "server_wide_modules": server_wide_modules,
            "logfile": str(self.log_path),
            "log_level": "info",
            **(options or {}),
        }
        self.sections = sections or {}
        self.args = list(args)
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def write_config(self):
        parser = configparser.ConfigParser(interpolation=None)
        parser["options"] = self.options
        for section, values in self.sections.items():
            parser[section] = {key: str(value) for key, value in values.items()}
        with self.conf_path.open("w") as conf:
            parser.write(conf)

    def start(self):
        self.write_config()
        self.log_path.write_text("")
        # Through the launcher: started as ``python -m odoo``, the prefork
        # master restarts its bus process (``<argv[0]> gevent``, which cannot
        # start that way) every 30 ms, and that took half the machine's CPU
        # beside the jobs being measured (see odoo_launcher.py).
        command = [
            PYTHON,
            str(Path(__file__).with_name("odoo_launcher.py")),
            "server",
            "-c",
            str(self.conf_path),
            *self.pg_server.odoo_args(),
            *self.args,
        ]
        # A session (process group) of its own: stopped whole, workers included.
        self.process = subprocess.Popen(
            command,
            env=self.pg_server.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return self

    def answers(self):
        try:
            with urllib.request.urlopen(f"{self.url}/web/health", timeout=5) as reply:
                return reply.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code = self.process.returncode
                raise RuntimeError(f"{self.name} exited ({code}); see {self.log_path}")
            if self.answers():
                return self
            time.sleep(0.5)
        raise TimeoutError(f"{self.name} did not answer in {timeout} s")

    def pids(self):
        """The server's process and its workers (children), while running."""
        pids = {self.process.pid}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                    pids.add(int(entry.name))
        return pids

    def stop(self, timeout=60):
        if not self.process or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def log_lines(self, needle):
        return [
            line for line in self.log_path.read_text().splitlines() if needle in line
        ]


class Balancer:
    """Round-robin TCP proxy on a free loopback port: each new connection goes
    to the next backend port. Counts the connections per backend."""

    def __init__(self, backend_ports=()):
        self._lock = threading.Lock()
        self.backends = []
        self.counts = {}
        self.set_backends(backend_ports)
        self.port = pg.free_port()
        self._next = 0
        self._stop = threading.Event()
        self._listener = None

    def set_backends(self, ports):
        with self._lock:
            self.backends = list(ports)
            self.counts = {port: self.counts.get(port, 0) for port in self.backends}

    def start(self):
        self._listener = socket.create_server(("127.0.0.1", self.port), backlog=256)
        self._listener.settimeout(0.5)
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                if not self.backends:
                    client.close()
                    continue
                backend = self.backends[self._next % len(self.backends)]
                self._next += 1
                self.counts[backend] += 1
            threading.Thread(
                target=self._serve, args=(client, backend), daemon=True
            ).start()

    def _serve(self, client, backend):
        try:
            upstream = socket.create_connection(("127.0.0.1", backend), timeout=30)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        client.settimeout(None)
        pipes = [
            threading.Thread(target=_pipe, args=(client, upstream), daemon=True),
            threading.Thread(target=_pipe, args=(upstream, client), daemon=True),
        ]
        for pipe in pipes:
            pipe.start()
        for pipe in pipes:
            pipe.join()
        client.close()
        upstream.close()

    def stop(self):
        self._stop.set()
        if self._listener:
            self._listener.close()


def _pipe(source, target):
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def running_servers(pg_server, database, count=2, name="odoo", balancer=None, **kwargs):
    """``count`` OdooServers (see OdooServer for ``kwargs``) started, answering,
    then stopped on leaving, whatever happened. A ``balancer`` given is pointed
    at them before they start."""
    servers = [
        OdooServer(pg_server, database, f"{name}{n + 1}", **kwargs)
        for n in range(count)
    ]
    if balancer is not None:
        balancer.set_backends([server.port for server in servers])
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()

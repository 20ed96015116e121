"""A private PostgreSQL on 127.0.0.1 for setup/run and setup/test.

Used only when neither odoo.conf nor the environment names a server. The data lives
in the checkout's git-ignored .local/ folder; the port is a free one; the server is
stopped by whoever started it.
"""

import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .common import LOCAL, say

DB_USER = "odoo"
SERVICE_USER = "postgres"


@dataclass
class Server:
    host: str
    port: int
    user: str
    password: str = ""
    started: bool = False
    data_dir: Path | None = None

    def odoo_args(self):
        args = [
            f"--db_host={self.host}",
            f"--db_port={self.port}",
            f"--db_user={self.user}",
        ]
        if self.password:
            args.append(f"--db_password={self.password}")
        return args

    def env(self):
        env = dict(
            os.environ, PGHOST=self.host, PGPORT=str(self.port), PGUSER=self.user
        )
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def configured_server(conf=None):
    """The server named by odoo.conf or PG* variables, if any."""
    values = {}
    if conf and Path(conf).is_file():
        import configparser

        parser = configparser.ConfigParser()
        parser.read(conf)
        if parser.has_section("options"):
            values = dict(parser.items("options"))
    host = os.environ.get("PGHOST") or values.get("db_host")
    if not host or host == "False":
        return None
    return Server(
        host=host,
        port=int(os.environ.get("PGPORT") or values.get("db_port") or 5432),
        user=os.environ.get("PGUSER") or values.get("db_user") or DB_USER,
        password=os.environ.get("PGPASSWORD") or values.get("db_password") or "",
    )


def find_binaries():
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2])
    )
    if candidates:
        return Path(candidates[-1])
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def ensure_binaries():
    binaries = find_binaries()
    if binaries:
        return binaries
    if os.geteuid() != 0:
        raise SystemExit(
            "PostgreSQL server binaries are missing: install PostgreSQL, or name a "
            "server in odoo.conf or PGHOST/PGPORT/PGUSER."
        )
    say("Installing PostgreSQL (Debian package postgresql)...")
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "postgresql"],
        check=True,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
    )
    return find_binaries()


def _as_service_user(command):
    """PostgreSQL refuses to run as root: run it as the postgres account."""
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", SERVICE_USER, "--", *command]


def _service_user_can_reach(path):
    if os.geteuid() != 0:
        return True
    probe = ["runuser", "-u", SERVICE_USER, "--", "test", "-w", str(path)]
    return subprocess.run(probe, check=False).returncode == 0


def _prepare_dir(path):
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVICE_USER)
        os.chown(path, account.pw_uid, account.pw_gid)


def _cluster_root():
    root = LOCAL / "pg"
    _prepare_dir(root)
    if _service_user_can_reach(root):
        return root
    # A checkout under a private home folder: the postgres account cannot enter
    # it, so the cluster lives in a folder of the machine's temporary space.
    digest = hashlib.sha256(str(LOCAL).encode()).hexdigest()[:12]
    fallback = Path("/tmp") / f"spp-pg-{digest}"
    say(f"Note: {root} is not reachable by {SERVICE_USER}; using {fallback}.")
    _prepare_dir(fallback)
    return fallback


def start_private(fast=False, sized=False):
    """Start (creating if needed) the private cluster on a free loopback port.
    ``fast``: no durability (throw-away test databases). ``sized``: memory and
    WAL sized for million-row work, as a production server would be (see
    :func:`sized_options`)."""
    binaries = ensure_binaries()
    root = _cluster_root()
    data = root / "data"
    sockets = root / "sockets"
    _prepare_dir(sockets)
    if not (data / "PG_VERSION").exists():
        _prepare_dir(data)
        subprocess.run(
            _as_service_user(
                [
                    str(binaries / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    DB_USER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    running = _running_port(binaries, data)
    if running:
        # Another run of ours (or one that died) has it up: share it, and leave
        # stopping it to whoever started it.
        return Server("127.0.0.1", running, DB_USER, started=False, data_dir=data)
    port = free_port()
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1"
    if fast:
        # Throw-away test databases: durability buys nothing.
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    if sized:
        options += sized_options()
    subprocess.run(
        _as_service_user(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(root / "postgresql.log"),
                "-w",
                "-t",
                "60",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return Server("127.0.0.1", port, DB_USER, started=True, data_dir=data)


def sized_options():
    """PostgreSQL's own sizing advice for a dedicated server: shared buffers a
    quarter of the memory (at most 8 GB), and WAL room for a million-row
    statement without a checkpoint in the middle. The defaults (128 MB, 1 GB)
    suit a laptop sharing its memory, not a national payroll."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 4 * 1024**3
    buffers_mb = max(128, min(8192, memory // 4 // 1024**2))
    return (
        f" -c shared_buffers={buffers_mb}MB -c max_wal_size=8GB"
        " -c wal_buffers=64MB -c wal_compression=lz4"
    )


def _running_port(binaries, data):
    """Port of the server running on ``data``, or None."""
    status = subprocess.run(
        _as_service_user([str(binaries / "pg_ctl"), "-D", str(data), "status"]),
        check=False,
        capture_output=True,
    )
    pid_file = data / "postmaster.pid"
    if status.returncode != 0 or not pid_file.is_file():
        return None
    lines = pid_file.read_text().splitlines()
    return int(lines[3]) if len(lines) > 3 and lines[3].isdigit() else None


def stop(server):
    if not server or not server.started:
        return
    binaries = find_binaries()
    subprocess.run(
        _as_service_user(
            [
                str(binaries / "pg_ctl"),
                "-D",
                str(server.data_dir),
                "-m",
                "fast",
                "-w",
                "stop",
            ]
        ),
        check=False,
        stdout=subprocess.DEVNULL,
    )
    server.started = False


def psql(server, database, sql):
    binaries = find_binaries()
    psql_bin = binaries / "psql" if binaries else "psql"
    return subprocess.run(
        [str(psql_bin), "-X", "-q", "-t", "-A", "-d", database, "-c", sql],
        env=server.env(),
        capture_output=True,
        text=True,
        check=False,
    )


def database_exists(server, name):
    result = psql(
        server, "postgres", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"
    )
    return result.stdout.strip() == "1"


def drop_database(server, name):
    for _attempt in range(5):
        result = psql(server, "postgres", f'DROP DATABASE IF EXISTS "{name}"')
        if result.returncode == 0:
            return
        time.sleep(1)

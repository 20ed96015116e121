"""Run a snippet inside Odoo (``odoo shell``) on a benchmark database.

The database is created with the given addons when missing; PostgreSQL is the one
odoo.conf or PG* names, or a private one started and stopped here, sized as a
production server would be (``pg.sized_options``).
"""

import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "setup"))

from spp_setup import pg  # noqa: E402
from spp_setup.common import ADDONS, LOCAL, PYTHON, suite_addons  # noqa: E402


def _odoo(server, database, *args, subcommand=(), **kwargs):
    command = [
        PYTHON,
        "-m",
        "odoo",
        *subcommand,
        *server.odoo_args(),
        "-d",
        database,
        f"--addons-path={ADDONS}",
        "--data-dir",
        str(LOCAL / "filestore"),
        "--no-http",
        "--log-level=warn",
        *args,
    ]
    return subprocess.run(command, env=server.env(), check=True, **kwargs)


def run(
    database, code, addons="spp_payment_demo", fresh=False, conf=None, update=False
):
    server = pg.configured_server(conf)
    try:
        if server is None:
            server = pg.start_private(fast=True, sized=True)
        if fresh:
            pg.drop_database(server, database)
        if not pg.database_exists(server, database):
            print(f"creating database {database} with {addons}...", flush=True)
            _odoo(server, database, "-i", addons, "--stop-after-init")
        elif update:
            # A reused database gets the current schema (indexes, keys) of the
            # code: -u of one addon would leave its dependencies as they were.
            suite = ",".join(suite_addons())
            _odoo(server, database, "-i", addons, "-u", suite, "--stop-after-init")
        _odoo(server, database, subcommand=["shell"], input=code, text=True)
    finally:
        pg.stop(server)

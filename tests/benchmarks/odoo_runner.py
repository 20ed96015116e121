"""Run a snippet inside Odoo (``odoo shell``) on a benchmark database.

The database is created with the given addons when missing; PostgreSQL is the one
odoo.conf or PG* names, or a private one started and stopped here, sized as a
production server would be (``pg.sized_options``).
"""

import contextlib
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
            update_suite(server, database, addons)
        shell(server, database, code)
    finally:
        pg.stop(server)


def update_suite(server, database, addons):
    """A reused database gets the current schema (indexes, keys) of the code:
    -u of one addon would leave its dependencies as they were."""
    suite = ",".join(suite_addons())
    _odoo(server, database, "-i", addons, "-u", suite, "--stop-after-init")


def shell(server, database, code, **kwargs):
    """Run ``code`` in an ``odoo shell`` on ``database``."""
    return _odoo(
        server, database, subcommand=["shell"], input=code, text=True, **kwargs
    )


# Shell code the benchmarks share (put before theirs; not str.format()ted).
MEMBERS = """
env["spp.demo.generator"]._generate(households={members}, max_members=1)
env.cr.commit()
"""

HELPERS = """
import time
from odoo.addons.spp_approval.tools import guarded_write as _approval_write


def timed(label, function, count=None, unit="payments", width=28):
    \"\"\"Run ``function``, print its wall time (and ``count`` per second).
    Returns (its result, seconds).\"\"\"
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    rate = f"  {count / seconds:12,.0f} {unit}/s" if count else ""
    print(f"{label:<{width}} {seconds:8.1f} s{rate}", flush=True)
    return result, seconds


def time_steps(cls, names, steps):
    \"\"\"Wrap the methods ``names`` of ``cls`` (a model class): each call's wall
    time is appended to ``steps[name]``, where the method runs.\"\"\"
    for name in names:
        def wrap(original, name=name):
            def timed_step(self, *args, **kwargs):
                start = time.perf_counter()
                result = original(self, *args, **kwargs)
                steps.setdefault(name, []).append(time.perf_counter() - start)
                return result
            return timed_step
        setattr(cls, name, wrap(getattr(cls, name)))


def approved_cycle(vals):
    \"\"\"A cycle approved without its maker-checker: set-up, not measured.\"\"\"
    cycle = env["spp.payment.cycle"].create(vals)
    cycle.action_submit()
    with _approval_write("approval"):
        cycle.write({"approval_state": "approved"})
    return cycle
"""


def member_arguments(parser, database, members=1_000_000):
    """The options of a benchmark on generated memberships."""
    parser.add_argument(
        "--members",
        "--limit",
        dest="members",
        type=int,
        default=members,
        help="memberships, hence payments",
    )
    parser.add_argument("--database", default=database)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the generated memberships of an earlier run",
    )


def run_on_members(args, code, addons="spp_payment_demo"):
    """Generate ``args.members`` one-person households in a fresh database
    (unless ``--reuse``), then run ``code`` after the shared HELPERS."""
    if not args.reuse:
        run(args.database, MEMBERS.format(members=args.members), addons, fresh=True)
    run(args.database, HELPERS + code, addons, update=args.reuse)


# Code that logs the plans of the statements over 200 ms that follow, with
# their triggers' time, in the server log (see explained_statements).
EXPLAIN_CODE = """
env.cr.execute("LOAD 'auto_explain'")
for _option, _value in (("log_min_duration", "'200ms'"), ("log_analyze", "on"),
                        ("log_triggers", "on"), ("log_buffers", "on"),
                        ("log_nested_statements", "on")):
    env.cr.execute(f"SET auto_explain.{_option} = {_value}")
"""


@contextlib.contextmanager
def explained_statements(enabled):
    """Print what the private server logged inside the block (the plans of
    EXPLAIN_CODE) when ``enabled``."""
    log = LOCAL / "pg" / "postgresql.log"
    start = log.stat().st_size if enabled and log.exists() else 0
    yield
    if enabled and log.exists():
        with log.open() as lines:
            lines.seek(start)
            print(lines.read())

"""The two commands' own behaviour: without Odoo they say so and, with
--require-odoo, setup/test fails."""

import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from spp_setup import common, odoo_log, pg

REPO = common.REPO


@pytest.fixture(scope="module")
def python_without_odoo(tmp_path_factory):
    """An interpreter that cannot import odoo: a bare virtual environment."""
    target = tmp_path_factory.mktemp("no-odoo")
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(target)
    python = target / "bin" / "python"
    probe = subprocess.run([python, "-c", "import odoo"], capture_output=True)
    assert probe.returncode != 0
    return str(python)


def _run(script, python, *args):
    env = dict(os.environ, SPP_PYTHON=python)
    return subprocess.run(
        [sys.executable, str(REPO / "setup" / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_detects_odoo_by_import(python_without_odoo):
    assert common.odoo_version(python_without_odoo) is None


def test_test_command_without_odoo_requires_it(python_without_odoo):
    result = _run(
        "test", python_without_odoo, "--require-odoo", "--odoo-only", "--skip-install"
    )
    assert result.returncode == 1
    assert "Odoo 19 is not importable" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "0 passed, 1 failed"
    assert "Traceback" not in result.stdout + result.stderr


def test_test_command_without_odoo_skips_odoo_suite(python_without_odoo):
    result = _run("test", python_without_odoo, "--odoo-only", "--skip-install")
    assert result.returncode == 0
    assert "module tests were skipped" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "0 passed, 0 failed"


def test_run_command_without_odoo_explains_in_two_lines(python_without_odoo):
    result = _run("run", python_without_odoo, "--skip-install")
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, result.stderr
    assert "Odoo 19 is not importable" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr


def test_free_port_is_free():
    port = pg.free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_benchmark_server_is_sized_from_memory(monkeypatch):
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 24 * 1024**3 // 4096}
    monkeypatch.setattr(pg.os, "sysconf", sizes.__getitem__)
    assert pg.sized_options() == " -c shared_buffers=6144MB -c max_wal_size=8GB"
    sizes["SC_PHYS_PAGES"] = 256 * 1024**3 // 4096  # capped
    assert "shared_buffers=8192MB" in pg.sized_options()


def test_configured_server_from_conf(tmp_path, monkeypatch):
    for name in ("PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert pg.configured_server(None) is None
    conf = tmp_path / "odoo.conf"
    conf.write_text("[options]\ndb_host = db.example\ndb_port = 6543\n")
    server = pg.configured_server(conf)
    assert (server.host, server.port, server.started) == ("db.example", 6543, False)
    monkeypatch.setenv("PGHOST", "127.0.0.2")
    assert pg.configured_server(conf).host == "127.0.0.2"


def test_log_checker():
    log = "\n".join(
        [
            "2026-11-23 03:51:28,637 9021 INFO db odoo.tests.result: 0 failed, "
            "1 error(s) of 33 tests when loading database 'db'",
            "2026-11-23 03:51:28,637 9021 WARNING db odoo.x: harmless thing",
            "2026-11-23 03:51:28,637 9021 ERROR db odoo.y: real problem",
        ]
    )
    assert odoo_log.test_counts(log) == (32, 1)
    allowed = [__import__("re").compile("harmless")]
    assert [line[-12:] for line in odoo_log.unexpected_lines(log, allowed)] == [
        "real problem"
    ]
    assert odoo_log.test_counts("no summary") is None


def test_readmes_are_current():
    result = subprocess.run(
        [sys.executable, str(REPO / "setup" / "gen-readme"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout


def test_ci_calls_the_test_command():
    text = Path(REPO / ".ci" / "run").read_text()
    assert "setup/test --require-odoo" in text


def _load_setup_run():
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader(
        "spp_setup_run", str(REPO / "setup" / "run")
    )
    spec = importlib.util.spec_from_loader("spp_setup_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_run_seeds_the_demo_through_odoo_shell():
    run = _load_setup_run()
    server = pg.Server(host="127.0.0.1", port=5999, user="odoo")
    command = run.odoo_command(server, "--no-http", subcommand=["shell"])
    assert command[1:4] == ["-m", "odoo", "shell"]
    assert command[-1] == "--no-http"
    seed = run.SEED.format(households=7, url="http://127.0.0.1:8123")
    assert "_generate(households=7)" in seed
    assert "'web.base.url', 'http://127.0.0.1:8123'" in seed


def test_run_updates_a_database_older_than_the_addons(tmp_path, monkeypatch):
    run = _load_setup_run()
    monkeypatch.setattr(run, "FINGERPRINT", tmp_path / "fingerprint")
    run.record_fingerprint()
    assert run.FINGERPRINT.read_text() == run.addons_fingerprint()
    assert len(run.addons_fingerprint()) == 64

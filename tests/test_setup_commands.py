"""The two commands' own behaviour: without Odoo they say so and, with
--require-odoo, setup/test fails."""

import os
import socket
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from spp_setup import common, odoo_log, pg, system

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
    assert pg.sized_options() == (
        " -c shared_buffers=6144MB -c max_wal_size=8GB"
        " -c wal_buffers=64MB -c wal_compression=lz4"
    )
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


SUMMARY_3 = (
    "2026-11-23 03:51:28,637 9021 INFO db odoo.tests.result: 0 failed, "
    "0 error(s) of 3 tests when loading database 'db'"
)


def test_a_skipped_browser_test_fails_the_run():
    # The lines Odoo writes when Chromium is missing (odoo/tests/common.py and
    # odoo/tests/result.py): the tour is skipped and Odoo's summary is green.
    log = "\n".join(
        [
            "2026-11-23 03:51:20,001 9021 WARNING db odoo.addons.spp_payroll.tests"
            ".test_browser: Chrome executable not found",
            "2026-11-23 03:51:20,002 9021 INFO db odoo.addons.spp_payroll.tests"
            ".test_browser: skipped TestBrowser.test_payroll_list_tour_in_chromium"
            " : Chrome executable not found",
            SUMMARY_3,
        ]
    )
    assert odoo_log.test_counts(log) == (3, 0)  # what Odoo itself reports
    passed, failed, notes = odoo_log.verdict(log, [])
    assert (passed, failed) == (2, 2)  # the skip, and the WARNING line
    assert any("skipped, counted failed: TestBrowser" in note for note in notes)
    # Allowing the WARNING does not make the skip pass.
    allowed = [__import__("re").compile("Chrome executable not found")]
    assert odoo_log.verdict(log, allowed)[:2] == (2, 1)


def test_missing_websocket_client_fails_the_run_even_when_its_warning_is_allowed():
    log = "\n".join(
        [
            "2026-11-23 03:51:20,001 9021 WARNING db odoo.tests.common: "
            "websocket-client module is not installed",
            SUMMARY_3,
        ]
    )
    allowed = [__import__("re").compile("websocket-client")]
    passed, failed, notes = odoo_log.verdict(log, allowed)
    assert failed == 1
    assert "browser tests cannot run" in notes[0]


def test_a_clean_run_passes():
    assert odoo_log.verdict(SUMMARY_3, []) == (3, 0, [])


def _fake_needs(present):
    return (
        system.Need("wkhtmltopdf", "PDF reports", lambda: present, "wkhtmltopdf"),
        system.Need("chromium", "browser tests", lambda: present, "chromium"),
    )


def test_missing_system_tools_are_named_when_not_root(monkeypatch, capsys):
    calls = []
    monkeypatch.setattr(system.subprocess, "run", lambda *a, **k: calls.append(a))
    absent = system.ensure(install=True, needs=_fake_needs(False), is_root=False)
    assert [need.name for need in absent] == ["wkhtmltopdf", "chromium"]
    assert calls == []  # not root: nothing is installed
    out = capsys.readouterr().out
    assert "Missing wkhtmltopdf (for PDF reports): apt-get install wkhtmltopdf" in out
    assert "not root" in out


def test_missing_system_tools_are_installed_from_debian_as_root(monkeypatch):
    calls = []
    monkeypatch.setattr(system.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(
        system.subprocess, "run", lambda command, **k: calls.append(command)
    )
    system.ensure(install=True, needs=_fake_needs(False), is_root=True)
    assert calls[-1] == ["apt-get", "install", "-y", "-qq", "wkhtmltopdf", "chromium"]


def test_present_system_tools_install_nothing(monkeypatch):
    calls = []
    monkeypatch.setattr(system.subprocess, "run", lambda *a, **k: calls.append(a))
    assert system.ensure(install=True, needs=_fake_needs(True), is_root=True) == []
    assert calls == []


def test_setup_commands_check_the_system_tools():
    # Both commands call it (a fresh machine gets wkhtmltopdf for the PDFs and
    # Chromium for the tours), and the real needs cover what the features use.
    for script in ("run", "test"):
        assert "system.ensure(" in (REPO / "setup" / script).read_text()
    names = {need.name for need in system.NEEDS}
    assert {"wkhtmltopdf", "chromium", "websocket-client", "playwright"} <= names
    assert {"libldap2-dev", "libsasl2-dev"} <= names


def test_readme_recipe_installs_the_debian_build_dependencies():
    readme = (REPO / "README.md").read_text()
    recipe = readme[readme.index("## Requirements") : readme.index("PostgreSQL:")]
    apt_line = next(line for line in recipe.splitlines() if "apt-get install" in line)
    block = recipe[recipe.index(apt_line) :].split("\n\n")[0]
    for package in ("libldap2-dev", "libsasl2-dev", "libpq-dev"):
        assert package in block
    assert recipe.index(apt_line) < recipe.index("pip install -r requirements.txt")

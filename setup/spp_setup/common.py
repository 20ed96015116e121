"""Paths, Odoo detection, requirements and the list of suite addons."""

import ast
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ADDONS = REPO / "addons"
LOCAL = REPO / ".local"
PYTHON = os.environ.get("SPP_PYTHON", sys.executable)

NO_ODOO = (
    "Odoo 19 is not importable by {python}: SPP Payments runs inside Odoo 19.0.\n"
    "Install it from source (clone Odoo 19.0, `pip install -r requirements.txt`, "
    "`pip install -e . --config-settings editable_mode=compat`), then run this again."
)


def odoo_version(python=PYTHON):
    """Odoo's major version importable by ``python``, or None."""
    probe = "import odoo.release as r; print(r.version_info[0])"
    result = subprocess.run(
        [python, "-c", probe], capture_output=True, text=True, check=False
    )
    if result.returncode:
        return None
    try:
        return int(result.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def has_odoo19(python=PYTHON):
    return odoo_version(python) == 19


def manifest(addon_dir):
    return ast.literal_eval((addon_dir / "__manifest__.py").read_text())


def suite_addons():
    """Installable addons of the suite, in name order."""
    return sorted(
        path.name
        for path in ADDONS.iterdir()
        if (path / "__manifest__.py").is_file()
        and manifest(path).get("installable", True)
    )


def pip_install(*args, quiet=True):
    command = [PYTHON, "-m", "pip", "install", "--disable-pip-version-check"]
    if quiet:
        command.append("-q")
    env = dict(os.environ, PIP_ROOT_USER_ACTION="ignore")
    subprocess.run(command + list(args), check=True, env=env)


def install_requirements(with_test_tools=False):
    """The suite's Python requirements, the OCA addon wheels it uses (without
    their ``odoo`` requirement, which the Odoo install satisfies) and its core
    library."""
    pip_install("-r", str(REPO / "requirements.txt"))
    pip_install("--no-deps", "-r", str(REPO / "requirements-odoo-addons.txt"))
    pip_install("--no-deps", "-e", str(REPO / "lib"))
    if with_test_tools:
        pip_install("-r", str(REPO / "test-requirements.txt"))


def say(message):
    print(message, flush=True)

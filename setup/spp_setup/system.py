"""What the features need from the operating system, installed from Debian when
missing and running as root; otherwise named, with the command that installs it."""

import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .common import PYTHON, pip_install, say

# Odoo looks for these names (odoo/tests/common.py, _find_executable).
CHROME_NAMES = ("google-chrome", "chromium", "chromium-browser", "google-chrome-stable")


def _has_header(path):
    return Path(path).is_file()


def _python_can_import(module):
    probe = subprocess.run(
        [PYTHON, "-c", f"import {module}"], capture_output=True, check=False
    )
    return probe.returncode == 0


def _has_chrome():
    return any(shutil.which(name) for name in CHROME_NAMES)


@dataclass(frozen=True)
class Need:
    name: str
    feature: str
    present: Callable[[], bool]
    debian: str = ""  # the Debian package that provides it
    pip: str = ""  # or the Python package, installed into PYTHON


NEEDS = (
    Need(
        "wkhtmltopdf", "PDF reports", lambda: shutil.which("wkhtmltopdf"), "wkhtmltopdf"
    ),
    Need("chromium", "browser tests (tours)", _has_chrome, "chromium"),
    Need(
        "websocket-client",
        "browser tests (tours)",
        lambda: _python_can_import("websocket"),
        pip="websocket-client",
    ),
    # The PPM app's offline test drives Debian's chromium (no browser download).
    Need(
        "playwright",
        "browser tests (PPM app offline)",
        lambda: _python_can_import("playwright.sync_api"),
        pip="playwright",
    ),
    # Headers python-ldap builds against when Odoo's requirements are installed.
    Need(
        "libldap2-dev",
        "installing Odoo's requirements",
        lambda: _has_header("/usr/include/ldap.h"),
        "libldap2-dev",
    ),
    Need(
        "libsasl2-dev",
        "installing Odoo's requirements",
        lambda: _has_header("/usr/include/sasl/sasl.h"),
        "libsasl2-dev",
    ),
)


def missing(needs=NEEDS):
    return [need for need in needs if not need.present()]


def describe(need):
    how = f"apt-get install {need.debian}" if need.debian else f"pip install {need.pip}"
    return f"{need.name} (for {need.feature}): {how}"


def ensure(install=True, needs=NEEDS, is_root=None):
    """Install what is missing when allowed; return what is still missing, each
    said on its own line."""
    absent = missing(needs)
    is_root = os.geteuid() == 0 if is_root is None else is_root
    if install and absent:
        debian = [need.debian for need in absent if need.debian]
        if debian and is_root and shutil.which("apt-get"):
            say(f"Installing from Debian: {' '.join(debian)}...")
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", *debian], check=True, env=env
            )
        for need in absent:
            if need.pip:
                say(f"Installing {need.pip}...")
                try:
                    pip_install(need.pip)
                except subprocess.CalledProcessError:
                    pass
        absent = missing(absent)
    for need in absent:
        reason = "" if is_root or not need.debian else " (not root: not installed)"
        say(f"Missing {describe(need)}{reason}")
    return absent

"""Repository-level rules: OCA layout of every addon, licences, test imports."""

import ast
import re

import pytest
from spp_setup.common import ADDONS, REPO, manifest

ADDON_DIRS = sorted(p for p in ADDONS.iterdir() if (p / "__manifest__.py").exists())


def test_there_are_addons():
    assert {p.name for p in ADDON_DIRS} >= {"spp_payment_base"}


@pytest.mark.parametrize("addon", ADDON_DIRS, ids=lambda p: p.name)
def test_oca_layout(addon):
    info = manifest(addon)
    assert re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", info["version"])
    assert info["license"] == "LGPL-3"
    assert "Odoo Community Association (OCA)" in info["author"]
    assert (addon / "readme" / "DESCRIPTION.md").is_file()
    assert (addon / "README.rst").is_file()
    pyproject = (addon / "pyproject.toml").read_text()
    assert 'build-backend = "whool.buildapi"' in pyproject
    assert (addon / "static" / "description" / "icon.png").is_file()


@pytest.mark.parametrize("addon", ADDON_DIRS, ids=lambda p: p.name)
def test_every_test_module_is_imported(addon):
    tests = addon / "tests"
    if not tests.is_dir():
        pytest.skip("no tests")
    imported = {
        alias.name
        for node in ast.walk(ast.parse((tests / "__init__.py").read_text()))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    files = {p.stem for p in tests.glob("test_*.py")}
    assert files, f"{addon.name} has no test_*.py"
    assert files <= imported, f"not imported in tests/__init__.py: {files - imported}"


def test_data_files_exist():
    for addon in ADDON_DIRS:
        for path in manifest(addon).get("data", []):
            assert (addon / path).is_file(), f"{addon.name}: {path}"


def test_no_odoo_source_committed():
    assert not (REPO / "odoo").exists()
    assert not (REPO / "odoo-bin").exists()

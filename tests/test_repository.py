"""Repository-level rules: OCA layout of every addon, licences, test imports."""

import ast
import re

from spp_setup.common import ADDONS, REPO, manifest

ADDON_DIRS = sorted(p for p in ADDONS.iterdir() if (p / "__manifest__.py").exists())


def test_there_are_addons():
    assert {p.name for p in ADDON_DIRS} >= {"spp_payment_base"}


def _layout_problems(addon):
    info = manifest(addon)
    checks = {
        "version 19.0.x.y.z": re.fullmatch(r"19\.0\.\d+\.\d+\.\d+", info["version"]),
        "license LGPL-3": info["license"] == "LGPL-3",
        "OCA author": "Odoo Community Association (OCA)" in info["author"],
        "readme/DESCRIPTION.md": (addon / "readme" / "DESCRIPTION.md").is_file(),
        "README.rst": (addon / "README.rst").is_file(),
        "whool pyproject.toml": (addon / "pyproject.toml").is_file()
        and 'build-backend = "whool.buildapi"'
        in (addon / "pyproject.toml").read_text(),
        "static/description/icon.png": (
            addon / "static" / "description" / "icon.png"
        ).is_file(),
    }
    return [f"{addon.name}: {name}" for name, ok in checks.items() if not ok]


def test_oca_layout():
    # One test for the whole suite: a layout rule broken in one addon is one
    # failure naming it, not one pass per addon that keeps it.
    problems = [problem for addon in ADDON_DIRS for problem in _layout_problems(addon)]
    assert problems == []


def _unimported_test_modules(addon):
    tests = addon / "tests"
    files = {p.stem for p in tests.glob("test_*.py")}
    if not files:
        return [f"{addon.name}: no tests/test_*.py"]
    imported = {
        alias.name
        for node in ast.walk(ast.parse((tests / "__init__.py").read_text()))
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    return [f"{addon.name}: tests/{name}.py not imported" for name in files - imported]


def test_every_test_module_is_imported():
    problems = [p for addon in ADDON_DIRS for p in _unimported_test_modules(addon)]
    assert problems == []


def test_data_files_exist():
    for addon in ADDON_DIRS:
        for path in manifest(addon).get("data", []):
            assert (addon / path).is_file(), f"{addon.name}: {path}"


def test_no_odoo_source_committed():
    assert not (REPO / "odoo").exists()
    assert not (REPO / "odoo-bin").exists()


def _class_attribute(node, attribute):
    """The constant (or list of constants) a model class assigns to
    ``attribute``, or None."""
    for statement in node.body:
        if isinstance(statement, ast.Assign) and [
            ast.unparse(t) for t in statement.targets
        ] == [attribute]:
            try:
                return ast.literal_eval(statement.value)
            except ValueError:
                return None
    return None


def _model_definitions():
    """(addon, class base, _name) of every model class that defines a model:
    one naming a model it also inherits (``_name = x``, ``_inherit = [x,
    mixin]``) only extends it."""
    for path in sorted(ADDONS.glob("*/**/*.py")):
        addon = path.relative_to(ADDONS).parts[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = {ast.unparse(base) for base in node.bases}
            name = _class_attribute(node, "_name")
            if not isinstance(name, str):
                continue
            inherit = _class_attribute(node, "_inherit") or ()
            if name in ((inherit,) if isinstance(inherit, str) else inherit):
                continue
            yield addon, bases, name


def test_approval_and_reconciliation_models_live_in_their_addons():
    """The maker-checker is spp_approval's, reconciliation batches and lines are
    spp_payment_reconciliation's; others extend them (the file connector keeps its
    import wizard, a transient model)."""
    misplaced = []
    for addon, bases, name in _model_definitions():
        if name.startswith("spp.approval") and addon != "spp_approval":
            misplaced.append((addon, name))
        elif (
            name.startswith("spp.reconciliation")
            and addon != "spp_payment_reconciliation"
            and "models.TransientModel" not in bases
        ):
            misplaced.append((addon, name))
    assert misplaced == []
    names = {name for _addon, _bases, name in _model_definitions()}
    assert {"spp.approval.mixin", "spp.reconciliation"} <= names


def test_spp_approval_is_generic():
    """spp_approval depends on base and mail only and names no SPP role: the
    groups it uses are its own or the policy's."""
    addon = ADDONS / "spp_approval"
    assert sorted(manifest(addon)["depends"]) == ["base", "mail"]
    hooks = addon / "hooks.py"  # names the module the models came from
    for path in sorted(addon.rglob("*")):
        if path.suffix in (".py", ".xml", ".csv") and path != hooks:
            text = path.read_text()
            assert "spp_payment" not in text and "group_spp_" not in text, path

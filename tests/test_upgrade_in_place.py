"""A demo database created by the code before spp_approval and
spp_payment_reconciliation existed upgrades in place with ``-u all``: every
record kept, each model owned by its new module, no second copy of a view, a
right or a rule, and the moved records still work."""

import os
import re
import subprocess
import tarfile
import textwrap

import pytest
from spp_setup import common, odoo_log, pg

REPO = common.REPO
# main before the layout change (approval in spp_payment_base, reconciliation in
# spp_payroll).
PRE_MOVE = "848b91f"

SEED = """
from spp_payment_core.reconcile import Line
env["spp.demo.generator"]._generate(households=6, seed=0.1)
users = {u.login: u for u in env["res.users"].search([])}
cycle = env["spp.payment.cycle"].search([("program_id.code", "=", "DEMO-CT")], limit=1)
env["spp.approval.policy"].create(
    {"name": "Payroll", "res_model": "spp.payroll", "approval_count": 1}
)
payroll = env["spp.payroll"].with_user(users["officer"]).create(
    {"name": "Before the split", "cycle_id": cycle.id}
)
payroll.action_generate()
payroll.action_submit()
payroll.with_user(users["manager"]).action_approve("approved before the split")
lines = [
    Line(row=n, payment_id=p.id, outcome="failed", reason="account closed")
    for n, p in enumerate(payroll.payment_ids.sorted("id"), 1)
]
batch = env["spp.reconciliation"].with_user(users["finance"])._spp_create_batch(
    {"name": "Reply before the split", "source": "file",
     "program_id": payroll.program_id.id, "payroll_id": payroll.id}, lines
)
batch.action_submit()
env.cr.commit()
"""

# After the upgrade the new code reads and applies the batch made by the old one.
USE = """
users = {u.login: u for u in env["res.users"].search([])}
batch = env["spp.reconciliation"].search([("name", "=", "Reply before the split")])
assert "<table" in batch.summary_html, batch.summary_html
batch.with_user(users["manager"]).action_approve()
assert batch.applied_date, "the moved batch was not applied"
# Approved, never sent: the "failed" lines cannot apply and say so.
assert set(batch.line_ids.mapped("outcome")) == {"skipped"}, batch.line_ids
payroll = env["spp.payroll"].search([("name", "=", "Before the split")])
assert payroll.approval_review_ids.decision == "approve", payroll.approval_review_ids
# The lifecycle status, new since, derived by the migration: approved, not sent.
assert payroll.status == "approved", payroll.status
menu = env.ref("spp_payment_base.menu_spp_approval_policy")
assert menu.action == env.ref("spp_approval.action_spp_approval_policy"), menu.action
# The attempts' two partial indexes on state gave way to the slot index.
env.cr.execute("SELECT indexname FROM pg_indexes WHERE tablename = "
               "'spp_payment_attempt' AND indexname LIKE '%%one%%'")
indexes = sorted(name for name, in env.cr.fetchall())
assert indexes == ["spp_payment_attempt_one_live_attempt"], indexes
print("USE-OK")
"""

COUNTS = {
    "payrolls": "SELECT count(*) FROM spp_payroll",
    "payments": "SELECT count(*) FROM spp_payment",
    "reconciliations": "SELECT count(*) FROM spp_reconciliation",
    "reconciliation lines": "SELECT count(*) FROM spp_reconciliation_line",
    "approval reviews": "SELECT count(*) FROM spp_approval_review",
    "approval policies": "SELECT count(*) FROM spp_approval_policy",
}
# Configuration records the new code may add to (rules and menus of later
# features): every one that existed before the upgrade is still there.
KEPT = {
    "record rules": "SELECT r.id FROM ir_rule r JOIN ir_model m ON m.id = "
    "r.model_id WHERE m.model LIKE 'spp.approval%' OR m.model LIKE "
    "'spp.reconciliation%'",
    "views": "SELECT id FROM ir_ui_view WHERE model LIKE 'spp.approval%' "
    "OR model LIKE 'spp.reconciliation%'",
    "menus": "SELECT id FROM ir_ui_menu",
}
MODEL_OWNERS = {
    "spp.approval.policy": "spp_approval",
    "spp.approval.review": "spp_approval",
    "spp.approval.mixin": "spp_approval",
    "spp.reconciliation": "spp_payment_reconciliation",
    "spp.reconciliation.line": "spp_payment_reconciliation",
}


def _odoo(server, database, addons_path, *args, subcommand=(), **kwargs):
    """Odoo on ``addons_path`` with the core library of the same tree."""
    env = server.env()
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(addons_path.parent / "lib"), env.get("PYTHONPATH")])
    )
    command = [
        common.PYTHON,
        "-m",
        "odoo",
        *subcommand,
        *server.odoo_args(),
        "-d",
        database,
        f"--addons-path={addons_path}",
        "--no-http",
        "--log-level=info",
        *args,
    ]
    return subprocess.run(
        command,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=900,
        **kwargs,
    )


def _owned(table, menus):
    """A regular expression (SQL literal) for the ids of a model's own records:
    itself, its fields, inherits, views, actions, rights, rules (and menus), not
    another model's inherit of it (spp.program's of the approval mixin)."""
    kinds = "model|model_inherit_|field|selection_|constraint|view|action|access|rule"
    kinds += "|menu" if menus else ""
    return f"'^({kinds})_{table}|^reconciliation_summary$'"


def _value(server, database, sql):
    result = pg.psql(server, database, sql)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _ids(server, database, sql):
    return set(_value(server, database, sql).split())


def _pre_move_addons(tmp_path):
    shallow = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    found = subprocess.run(
        ["git", "cat-file", "-e", f"{PRE_MOVE}^{{commit}}"], cwd=REPO, check=False
    )
    if found.returncode and shallow.stdout.strip() == "true":
        pytest.skip(f"shallow clone without {PRE_MOVE}: fetch the full history")
    assert found.returncode == 0, f"commit {PRE_MOVE} is missing"
    archive = tmp_path / "pre-move.tar"
    subprocess.run(
        ["git", "archive", "-o", str(archive), PRE_MOVE, "addons", "lib"],
        cwd=REPO,
        check=True,
    )
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path / "old", filter="data")
    return tmp_path / "old" / "addons"


@pytest.fixture(scope="module")
def server():
    if not common.has_odoo19():
        pytest.skip("Odoo 19 is not importable")
    server = pg.configured_server() or pg.start_private(fast=True)
    yield server
    pg.stop(server)


def test_demo_database_upgrades_in_place(server, tmp_path):
    old_addons = _pre_move_addons(tmp_path)
    database = f"spp_upgrade_{tmp_path.name[-12:]}".replace("-", "_").lower()
    pg.drop_database(server, database)
    try:
        made = _odoo(
            server, database, old_addons, "-i", "spp_payment_demo", "--stop-after-init"
        )
        assert made.returncode == 0, made.stderr[-3000:]
        seeded = _odoo(server, database, old_addons, subcommand=["shell"], input=SEED)
        assert seeded.returncode == 0, seeded.stderr[-3000:]
        before = {name: _value(server, database, sql) for name, sql in COUNTS.items()}
        kept = {name: _ids(server, database, sql) for name, sql in KEPT.items()}
        assert all(kept.values()), kept
        assert int(before["reconciliation lines"]) >= 2, before
        assert int(before["approval reviews"]) >= 3, before

        log = tmp_path / "upgrade.log"
        upgraded = _odoo(
            server,
            database,
            common.ADDONS,
            "-u",
            "all",
            "--stop-after-init",
            f"--logfile={log}",
        )
        text = log.read_text(errors="replace")
        assert upgraded.returncode == 0, text[-3000:]
        allowed = odoo_log.allow_list(REPO / "checklog-odoo.cfg")
        assert odoo_log.unexpected_lines(text, allowed) == []
        # Deleted: only the two former single-use mixins, the approval rights
        # per SPP role that spp_approval's neutral groups replace, a field of a
        # transient wizard, and the attempts' two former indexes.
        deleted = [
            line
            for line in text.splitlines()
            if " Deleting " in line
            and not re.search(r"@ir\.model\.access \(spp_approval\.access_", line)
            and not re.search(r"spp_payroll_(generation|export)_mixin(\)|__)", line)
            # A field of the execute wizard's transient lines, replaced by
            # balance_state (known, pending, unknown): no data is lost.
            and "field_spp_payroll_execute_wizard_line__balance_known" not in line
            # The attempts' two indexes on state, replaced by the one on
            # holds_slot (the same guarantees, see spp.payment.attempt).
            and not re.search(
                r"constraint_spp_payment_attempt_one_(paid_attempt|attempt_in_flight)",
                line,
            )
        ]
        assert deleted == []

        after = {name: _value(server, database, sql) for name, sql in COUNTS.items()}
        assert after == before
        for name, sql in KEPT.items():
            assert kept[name] <= _ids(server, database, sql), name
        states = _value(
            server,
            database,
            "SELECT string_agg(name || '=' || state, ',' ORDER BY name) "
            "FROM ir_module_module WHERE name IN "
            "('spp_approval', 'spp_payment_reconciliation')",
        )
        assert states == "spp_approval=installed,spp_payment_reconciliation=installed"
        for model, module in MODEL_OWNERS.items():
            owners = _value(
                server,
                database,
                "SELECT string_agg(DISTINCT module, ',') FROM ir_model_data WHERE "
                f"model = 'ir.model' AND name = 'model_{model.replace('.', '_')}'",
            )
            # Modules extending a model own an id of it too (spp_payment_file).
            assert module in owners.split(","), (model, owners)
            assert not {"spp_payment_base", "spp_payroll"} & set(owners.split(","))
        # Nothing of the moved models is left with their former modules (the
        # SPP menu of approval policies stays in spp_payment_base).
        approval = _owned("spp_approval", menus=False)
        reconciliation = _owned("spp_reconciliation", menus=True)
        left = _value(
            server,
            database,
            "SELECT string_agg(module || '.' || name, ', ') FROM ir_model_data "
            f"WHERE (module = 'spp_payment_base' AND name ~ {approval}) "
            f"OR (module = 'spp_payroll' AND name ~ {reconciliation})",
        )
        assert left == "", left
        constraints = _value(
            server,
            database,
            "SELECT string_agg(DISTINCT mm.name, ',') FROM ir_model_constraint c "
            "JOIN ir_model m ON m.id = c.model JOIN ir_module_module mm "
            "ON mm.id = c.module WHERE m.model IN "
            "('spp.reconciliation', 'spp.reconciliation.line')",
        )
        # Those of the approval mixin's fields stay with the mixin's modules.
        assert "spp_payroll" not in constraints.split(","), constraints
        assert "spp_payment_reconciliation" in constraints.split(","), constraints

        used = _odoo(server, database, common.ADDONS, subcommand=["shell"], input=USE)
        assert "USE-OK" in used.stdout, textwrap.shorten(used.stderr, 3000)
    finally:
        pg.drop_database(server, database)

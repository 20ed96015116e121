# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError
from odoo.tools import mute_logger

from .common import SppBaseCommon

# Expected rights per model and role, as "rwcu" (read, write, create, unlink).
MATRIX = {
    "spp.area": {
        "viewer": "r",
        "program_officer": "rwc",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.group.membership": {
        "viewer": "r",
        "program_officer": "rwcu",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.program": {
        "viewer": "r",
        "program_officer": "rwc",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.program.membership": {
        "viewer": "r",
        "program_officer": "rwcu",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.fsp": {
        "viewer": "r",
        "program_officer": "r",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.payment": {
        "viewer": "r",
        "program_officer": "rwcu",
        "finance_officer": "rwc",
        "finance_manager": "rwc",
        "admin": "rwcu",
    },
    "spp.payment.attempt": {
        role: "r"
        for role in (
            "viewer",
            "program_officer",
            "finance_officer",
            "finance_manager",
            "admin",
        )
    },
    # Callbacks are evidence: finance reads them, nobody edits them.
    "spp.payment.callback": {
        "viewer": "",
        "program_officer": "",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "r",
    },
    "spp.payment.event": {
        role: "r"
        for role in (
            "viewer",
            "program_officer",
            "finance_officer",
            "finance_manager",
            "admin",
        )
    },
    # Payment detail changes are evidence too: written by the registry's own
    # write(), as sudo, never by hand.
    "spp.destination.change": {
        role: "r"
        for role in (
            "viewer",
            "program_officer",
            "finance_officer",
            "finance_manager",
            "admin",
        )
    },
    "spp.approval.policy": {
        "viewer": "r",
        "program_officer": "r",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.approval.tier": {
        "viewer": "r",
        "program_officer": "r",
        "finance_officer": "r",
        "finance_manager": "r",
        "admin": "rwcu",
    },
    "spp.approval.review": {
        role: "r"
        for role in (
            "viewer",
            "program_officer",
            "finance_officer",
            "finance_manager",
            "admin",
        )
    },
}
OPERATIONS = {"r": "read", "w": "write", "c": "create", "u": "unlink"}


class TestAccessMatrix(SppBaseCommon):
    """Every model x every role x CRUD: granted rights work, the others raise."""

    def test_matrix_covers_every_model_of_the_module(self):
        models = self.env["ir.model"].search(
            [("model", "=like", "spp.%"), ("transient", "=", False)]
        )
        ours = {
            m.model
            for m in models
            if "spp_payment_base" in m.modules.split(", ")
            and not self.env[m.model]._abstract
        }
        self.assertEqual(ours, set(MATRIX))

    def test_access_rights(self):
        for model, roles in MATRIX.items():
            for role, granted in roles.items():
                user = self.users[role]
                for letter, operation in OPERATIONS.items():
                    with self.subTest(model=model, role=role, operation=operation):
                        allowed = self.env[model].with_user(user).has_access(operation)
                        self.assertEqual(allowed, letter in granted)

    @mute_logger("odoo.models", "odoo.addons.base.models.ir_model")
    def test_viewer_cannot_write_any_spp_model(self):
        viewer = self.users["viewer"]
        records = {
            "spp.program": self.program,
            "spp.program.membership": self.membership,
            "spp.fsp": self.fsp,
            "spp.payment": self._create_payment(),
            "spp.area": self.env["spp.area"].create({"name": "North"}),
        }
        for model, record in records.items():
            with self.subTest(model=model):
                record.with_user(viewer).read(["display_name"])
                with self.assertRaises(AccessError):
                    record.with_user(viewer).write({"display_name": "x"})
                with self.assertRaises(AccessError):
                    self.env[model].with_user(viewer).create({})
                with self.assertRaises(AccessError):
                    record.with_user(viewer).unlink()

    def test_program_officer_creates_and_finance_officer_does_not(self):
        vals = {"name": "New program", "target_type": "individual"}
        program = self.env["spp.program"].with_user(self.users["program_officer"])
        self.assertTrue(program.create(vals))
        with self.assertRaises(AccessError):
            self.env["spp.program"].with_user(self.users["finance_officer"]).create(
                vals
            )

    def test_credentials_readable_by_administrators_only(self):
        self.fsp.api_password = "s3cret"
        for role in ("viewer", "program_officer", "finance_officer", "finance_manager"):
            with self.subTest(role=role), self.assertRaises(AccessError):
                self.fsp.with_user(self.users[role]).read(["api_password"])
        values = self.fsp.with_user(self.users["admin"]).read(["api_password"])
        self.assertEqual(values[0]["api_password"], "s3cret")

    def test_other_company_rows_are_hidden(self):
        other = self.env["res.company"].create({"name": "Other Agency"})
        hidden = self.env["spp.program"].create(
            {"name": "Elsewhere", "company_id": other.id}
        )
        visible = self.env["spp.program"].with_user(self.users["admin"]).search([])
        self.assertIn(self.program, visible)
        self.assertNotIn(hidden, visible)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger

from .common import SppBaseCommon, SppCompanyIsolationMixin

# Models of ours that hold no beneficiary data and no amount, on purpose shared
# by every company. A model is only accepted here if it has no such field (see
# _spp_models_holding_data): adding one makes the coverage test fail.
SHARED_MODELS = {
    "spp.area": "administrative geography, shared by the agencies of a country",
}
DATA_FIELD_TYPES = ("monetary", "float")


def _spp_models_holding_data(env):
    """Our concrete models that hold beneficiary data or amounts: a monetary or
    float field, a link to a partner, a document reference (res_model/res_id),
    or a link to another of our models that holds such data."""
    ours = {
        name: model
        for name, model in env.registry.items()
        if name.startswith("spp.") and not model._abstract
    }

    def direct(model):
        return any(
            field.type in DATA_FIELD_TYPES
            or field.type == "many2one_reference"
            or (field.relational and field.comodel_name == "res.partner")
            for field in model._fields.values()
        )

    holding = {name for name, model in ours.items() if direct(model)}
    grew = True
    while grew:
        linked = {
            name
            for name, model in ours.items()
            if name not in holding
            and any(
                field.relational and field.comodel_name in holding
                for field in model._fields.values()
            )
        }
        holding |= linked
        grew = bool(linked)
    return holding


@tagged("post_install", "-at_install")
class TestCompanyRuleCoverage(TransactionCase):
    """After every addon is installed: no model of ours holds beneficiary data
    or amounts without a multi-company rule."""

    def test_every_model_holding_data_has_a_company_rule(self):
        holding = _spp_models_holding_data(self.env)
        self.assertIn("spp.payment.event", holding)  # the detection itself works
        rules = self.env["ir.rule"].sudo().search([("global", "=", True)])
        ruled = {
            rule.model_id.model for rule in rules if "company_ids" in rule.domain_force
        }
        self.assertEqual(sorted(holding - ruled), [], "models without a company rule")
        self.assertEqual(
            sorted(holding & set(SHARED_MODELS)), [], "shared models holding data"
        )


class TestCompanyRules(SppBaseCommon, SppCompanyIsolationMixin):
    """Record rules, not the CSV: a user of another company, with every access
    right, finds, reads and writes none of a company's records."""

    def test_other_company_reaches_no_base_record(self):
        other_user = self._spp_other_company_user()
        payment = self._create_payment()
        attempt = (
            self.env["spp.payment.attempt"]
            .sudo()
            .create(
                {
                    "payment_id": payment.id,
                    "attempt_no": 1,
                    "idempotency_key": "isolation-1",
                    "fsp_id": self.fsp.id,
                    "state": "sent",
                }
            )
        )
        event = (
            self.env["spp.payment.event"]
            .sudo()
            .create(
                {
                    "payment_id": payment.id,
                    "new_state": "approved",
                    "date": fields.Datetime.now(),
                }
            )
        )
        callback = (
            self.env["spp.payment.callback"]
            .sudo()
            .create({"fsp_id": self.fsp.id, "payload": '{"msisdn": "+254700000001"}'})
        )
        policy = self.env["spp.approval.policy"].create(
            {
                "name": "Programs",
                "res_model": "spp.program",
                "tier_ids": [(0, 0, {"threshold": 1000.0})],
            }
        )
        self.program.with_user(self.users["program_officer"]).action_submit()
        self.program.with_user(self.users["finance_manager"]).action_approve()
        self.household.company_id = self.env.company
        individual = self.env["res.partner"].create(
            {
                "name": "Member",
                "is_registrant": True,
                "registrant_type": "individual",
                "company_id": self.env.company.id,
            }
        )
        household_member = self.env["spp.group.membership"].create(
            {"group_id": self.household.id, "individual_id": individual.id}
        )
        self._assert_company_isolated(
            {
                "spp.program": self.program,
                "spp.program.membership": self.membership,
                "spp.fsp": self.fsp,
                "spp.payment": payment,
                "spp.payment.attempt": attempt,
                "spp.payment.event": event,
                "spp.payment.callback": callback,
                "spp.approval.policy": policy,
                "spp.approval.tier": policy.tier_ids,
                "spp.approval.review": self.program.approval_review_ids,
                "spp.group.membership": household_member,
            },
            self.users["admin"],
            other_user,
        )

    def test_review_carries_its_document_company(self):
        self.program.with_user(self.users["program_officer"]).action_submit()
        self.program.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(
            self.program.approval_review_ids.company_id, self.program.company_id
        )

    def test_reviews_written_before_the_company_column_get_it_at_upgrade(self):
        self.program.with_user(self.users["program_officer"]).action_submit()
        self.program.with_user(self.users["finance_manager"]).action_approve()
        other = self.env["res.company"].create({"name": "Elsewhere"})
        self.env.cr.execute(
            "UPDATE spp_program SET company_id = %s WHERE id = %s",
            [other.id, self.program.id],
        )
        self.env.cr.execute(
            "UPDATE spp_approval_review SET company_id = NULL WHERE id = ANY(%s)",
            [self.program.approval_review_ids.ids],
        )
        self.env["spp.approval.review"].init()
        self.env.invalidate_all()
        self.assertEqual(self.program.sudo().approval_review_ids.company_id, other)


class TestAccessRights(SppBaseCommon):
    """What each role may do, tried through the ORM as that role."""

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

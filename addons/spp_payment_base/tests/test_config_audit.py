# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import AccessError, UserError

from .common import SppBaseCommon


class TestConfigAudit(SppBaseCommon):
    """Approval policies and FSP connections are tracked, before and after, in
    their chatter (never a secret's value); the policy that applies is frozen
    on a document when it is submitted."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The common setup turns tracking off for speed; here it is the subject.
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False))
        cls.admin = cls.users["admin"]
        cls.fsp = cls.fsp.with_env(cls.env)

    def _tracked(self, record):
        """{field name: (old, new)} of the latest tracking value of each field
        in the chatter (messages come newest first)."""
        self._flush_tracking()
        values = {}
        for message in record.message_ids:
            for value in message.sudo().tracking_value_ids:
                formatted = value._tracking_value_format()[0]
                values.setdefault(
                    value.field_id.name,
                    tuple(
                        "" if v is False or v is None else v
                        for v in (formatted["oldValue"], formatted["newValue"])
                    ),
                )
        return values

    def setUp(self):
        super().setUp()
        self._flush_tracking()

    def _flush_tracking(self):
        # Tracking messages are written just before the commit.
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _chatter_text(self, record):
        self._flush_tracking()
        return "\n".join(record.message_ids.mapped("body")) + "\n".join(
            str(v) for v in self._tracked(record).values()
        )

    def _new_program(self, maker="program_officer"):
        return (
            self.env["spp.program"]
            .with_user(self.users[maker])
            .create({"name": "Cash Plus", "target_type": "household"})
        )

    def test_policy_changes_are_tracked(self):
        policy = (
            self.env["spp.approval.policy"]
            .with_user(self.admin)
            .create({"name": "Programs", "res_model": "spp.program"})
        )
        # Odoo tracks changes of records created in an earlier transaction.
        self._flush_tracking()
        policy.write({"approval_count": 3})
        tracked = self._tracked(policy)
        self.assertEqual(tracked["approval_count"], (1, 3))
        tier_group = self.env.ref("spp_payment_base.group_spp_admin")
        policy.write(
            {"tier_ids": [(0, 0, {"threshold": 1000.0, "group_id": tier_group.id})]}
        )
        policy.tier_ids.write({"threshold": 2500.0})
        text = self._chatter_text(policy)
        self.assertIn("Threshold: 1000.0", text)
        self.assertIn("Threshold: 2500.0", text)
        policy.tier_ids.unlink()
        self.assertIn("(deleted)", self._chatter_text(policy))
        # Checkers cannot change policies at all.
        with self.assertRaises(AccessError):
            policy.with_user(self.users["finance_manager"]).write({"approval_count": 1})

    def test_policy_is_frozen_at_submission(self):
        policy = self.env["spp.approval.policy"].create(
            {"name": "Programs", "res_model": "spp.program", "approval_count": 2}
        )
        strict = self._new_program()
        strict.action_submit()
        self.assertEqual(strict.approval_policy_id, policy)
        self.assertEqual(strict.approvals_required, 2)
        # A policy relaxed after submission does not relax the document.
        policy.with_user(self.admin).write({"approval_count": 1})
        strict.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(strict.approval_state, "submitted")
        strict.with_user(self.manager2).action_approve()
        self.assertEqual(strict.approval_state, "approved")
        # Nor does a stricter one, or a new tier, tighten it.
        relaxed = self._new_program()
        relaxed.action_submit()
        policy.with_user(self.admin).write(
            {"approval_count": 3, "tier_ids": [(0, 0, {"threshold": 0.0})]}
        )
        self.assertEqual(relaxed.approvals_required, 1)
        relaxed.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(relaxed.approval_state, "approved")
        # A draft follows the policy in force; the frozen fields are not writable.
        draft = self._new_program()
        self.assertEqual(draft.approvals_required, 4)
        with self.assertRaisesRegex(UserError, "Approval fields"):
            relaxed.with_user(self.admin).write({"approval_slots": []})

    def test_fsp_connection_is_tracked_and_secrets_never_shown(self):
        fsp = self.fsp.with_user(self.admin)
        fsp.write(
            {
                "api_url": "https://bank.example/api",
                "api_username": "spp",
                "batch_size": 100,
            }
        )
        # One message per transaction: the first one ends here.
        self._flush_tracking()
        fsp.write({"api_url": "https://evil.example/api"})
        tracked = self._tracked(fsp)
        self.assertEqual(
            tracked["api_url"], ("https://bank.example/api", "https://evil.example/api")
        )
        self.assertEqual(tracked["api_username"], ("", "spp"))
        self.assertEqual(tracked["batch_size"], (500, 100))
        self.assertFalse(fsp.secrets_rotated_date)
        fsp.write({"api_password": "s3cret-Passw0rd", "callback_secret": "cb-S3cret"})
        self.assertTrue(fsp.secrets_rotated_date)
        tracked = self._tracked(fsp)
        self.assertIn("secrets_rotated_date", tracked)
        self.assertNotIn("api_password", tracked)
        self.assertNotIn("callback_secret", tracked)
        text = self._chatter_text(fsp)
        self.assertIn("Credentials changed", text)
        self.assertIn(fsp._fields["api_password"].string, text)
        for secret in ("s3cret-Passw0rd", "cb-S3cret"):
            self.assertNotIn(secret, text)
        values = self.env["mail.tracking.value"].sudo().search([])
        for secret in ("s3cret-Passw0rd", "cb-S3cret"):
            self.assertFalse(
                values.filtered(
                    lambda v, s=secret: any(
                        s in (v[name] or "")
                        for name in (
                            "old_value_char",
                            "new_value_char",
                            "old_value_text",
                            "new_value_text",
                        )
                    )
                )
            )

    def test_fsp_token_cache_is_not_a_rotation(self):
        self.fsp.sudo().write({"api_token": "cached"})
        self.assertFalse(self.fsp.secrets_rotated_date)
        self.assertNotIn("api_token", self._tracked(self.fsp))


class TestSegregationOfDuties(SppBaseCommon):
    def test_checker_who_only_submitted_is_refused(self):
        """An administrator (a checker) who only submitted a program someone
        else created and edited may not approve it."""
        program = (
            self.env["spp.program"]
            .with_user(self.users["program_officer"])
            .create({"name": "Submitted by a checker", "target_type": "household"})
        )
        admin = self.users["admin"]
        program.with_user(admin).action_submit()
        self.assertEqual(program.submitted_by_id, admin)
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            program.with_user(admin).action_approve()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            program.with_user(admin).action_reject("Not mine to judge")
        self.assertEqual(program.approval_state, "submitted")
        program.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(program.approval_state, "approved")

    def test_editor_of_a_document_cannot_approve_it(self):
        program = (
            self.env["spp.program"]
            .with_user(self.users["program_officer"])
            .create({"name": "Edited by a checker", "target_type": "household"})
        )
        admin = self.users["admin"]
        program.with_user(admin).write({"name": "Edited by the administrator"})
        program.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            program.with_user(admin).action_approve()
        contributors = self.env["spp.approval.contributor"].search(
            [("res_model", "=", "spp.program"), ("res_id", "=", program.id)]
        )
        self.assertEqual(
            {(c.user_id.login, c.role) for c in contributors},
            {
                ("spp_program_officer", "created"),
                ("spp_admin", "edited"),
                ("spp_program_officer", "submitted"),
            },
        )

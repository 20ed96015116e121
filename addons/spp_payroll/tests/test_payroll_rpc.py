# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import HttpCase, tagged
from odoo.tools import mute_logger

from .common import SppPayrollCommon


class RpcRefused(Exception):
    """The server's answer to a refused call: exception name and message."""


@tagged("post_install", "-at_install")
class TestPayrollOverRpc(SppPayrollCommon, HttpCase):
    """The attacks of issue 10, as a JSON-RPC client tries them: a Program
    Officer slips a payment into a payroll they submitted; a Finance Manager
    edits a draft payment, then approves the payroll."""

    def _call(self, role, model, method, args, kwargs=None):
        login = self.users[role].login
        self.authenticate(login, login)
        params = {
            "model": model,
            "method": method,
            "args": args,
            "kwargs": kwargs or {},
        }
        response = self.url_open(
            f"/web/dataset/call_kw/{model}/{method}",
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        )
        answer = response.json()
        if "error" in answer:
            data = answer["error"]["data"]
            raise RpcRefused(f"{data['name']}: {data['message']}")
        return answer["result"]

    def _forged(self, payroll):
        return {
            "program_id": self.program.id,
            "membership_id": self.members[0].id,
            "partner_id": self.households[0].id,
            "fsp_id": self.fsp.id,
            "amount": 5000.0,
            "destination": "+254799999999",
            "payroll_id": payroll.id,
        }

    @mute_logger("odoo.http")
    def test_officer_cannot_add_a_payment_to_a_submitted_payroll(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        self._call("program_officer", "spp.payroll", "action_submit", [[payroll.id]])
        with self.assertRaisesRegex(RpcRefused, "enter a payroll only"):
            self._call(
                "program_officer", "spp.payment", "create", [self._forged(payroll)]
            )
        # Nor by moving one of their own payments in, nor through the one2many.
        loose = self._call(
            "program_officer",
            "spp.payment",
            "create",
            [{**self._forged(payroll), "payroll_id": False}],
        )
        with self.assertRaisesRegex(RpcRefused, "set by the payroll"):
            self._call(
                "program_officer",
                "spp.payment",
                "write",
                [[loose], {"payroll_id": payroll.id}],
            )
        # The manager's approval approves the payroll as generated.
        self._call("finance_manager", "spp.payroll", "action_approve", [[payroll.id]])
        payroll.invalidate_recordset()
        self.assertEqual(payroll.approval_state, "approved")
        self.assertEqual(payroll.payment_count, 5)
        self.assertNotIn(5000.0, payroll.payment_ids.mapped("amount"))
        with self.assertRaisesRegex(RpcRefused, "enter a payroll only"):
            self._call(
                "program_officer", "spp.payment", "create", [self._forged(payroll)]
            )

    @mute_logger("odoo.http")
    def test_manager_who_edited_a_payment_cannot_approve(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        targets = payroll.payment_ids.filtered(
            lambda p: p.partner_id in self.households[1:4]
        )
        # Three payments pointed at one phone number by the manager.
        self._call(
            "finance_manager",
            "spp.payment",
            "write",
            [targets.ids, {"destination": "+254755555555"}],
        )
        self._call("program_officer", "spp.payroll", "action_submit", [[payroll.id]])
        with self.assertRaisesRegex(RpcRefused, "Segregation of duties"):
            self._call(
                "finance_manager", "spp.payroll", "action_approve", [[payroll.id]]
            )
        targets.invalidate_recordset()
        # The edit is on record and the three are flagged.
        self.assertEqual(targets.filtered("is_duplicate"), targets)
        changes = self.env["spp.payment.change"].search(
            [("payroll_id", "=", payroll.id)]
        )
        self.assertEqual(changes.payment_id, targets)
        self.assertEqual(set(changes.mapped("new_value")), {"+254755555555"})
        self.assertEqual(changes.user_id, self.users["finance_manager"])

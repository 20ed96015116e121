# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, JsonRpcException, new_test_user, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestMakerCheckerOverRpc(HttpCase):
    """Segregation of duties holds for a JSON-RPC client, not only in the UI."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for login, group in (
            ("rpc_officer", "group_spp_program_officer"),
            ("rpc_manager", "group_spp_finance_manager"),
            ("rpc_viewer", "group_spp_viewer"),
        ):
            new_test_user(
                cls.env,
                login=login,
                password=f"{login}-pass-1234",
                groups=f"spp_payment_base.{group}",
            )

    def _call(self, login, method, args, kwargs=None):
        self.authenticate(login, f"{login}-pass-1234")
        return self.make_jsonrpc_request(
            f"/web/dataset/call_kw/spp.program/{method}",
            {
                "model": "spp.program",
                "method": method,
                "args": args,
                "kwargs": kwargs or {},
            },
        )

    @mute_logger("odoo.http")
    def test_submitter_cannot_approve_but_checker_can(self):
        # create() with one dict answers one id.
        program_id = self._call("rpc_officer", "create", [{"name": "RPC program"}])
        self._call("rpc_officer", "action_submit", [[program_id]])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("rpc_officer", "action_approve", [[program_id]])
        # Forcing the state by a plain write is refused too.
        with self.assertRaisesRegex(JsonRpcException, "UserError"):
            self._call(
                "rpc_officer", "write", [[program_id], {"approval_state": "approved"}]
            )
        program = self.env["spp.program"].browse(program_id)
        self.assertEqual(program.approval_state, "submitted")
        self._call("rpc_manager", "action_approve", [[program_id]])
        program.invalidate_recordset()
        self.assertEqual(program.approval_state, "approved")

    @mute_logger("odoo.http")
    def test_viewer_cannot_write(self):
        program = self.env["spp.program"].create({"name": "Read only"})
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("rpc_viewer", "write", [[program.id], {"name": "x"}])
        with self.assertRaisesRegex(JsonRpcException, "AccessError"):
            self._call("rpc_viewer", "create", [{"name": "x"}])

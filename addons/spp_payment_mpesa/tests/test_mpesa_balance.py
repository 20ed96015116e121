# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from contextlib import contextmanager
from unittest.mock import patch

from spp_payment_core import mpesa
from spp_payment_core.simulators.mpesa import MpesaSimulator

from odoo.exceptions import UserError

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_base.models import spp_payment_callback as callback_model
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon

from .test_mpesa import KEY, mpesa_fsp_values


class TestMpesaBalance(SppConnectorCommon):
    """The M-Pesa account's balance, asked by AccountBalance before execution
    and answered by Daraja's Result callback (the simulator's)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls._start_simulator(MpesaSimulator(KEY, max_seconds=600, deliver=cls._deliver))
        cls.fsp.sudo().write(
            mpesa_fsp_values(
                cls.sim,
                # No balance reported yet (the fixture's is forgotten).
                balance_state="unknown",
                # Daraja reports shillings.
                currency_id=cls.env.ref("base.KES").id,
            )
        )
        # The program pays in the company's currency: its payrolls freeze a
        # rate to the shillings at approval (one to one keeps the figures).
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.env.ref("base.KES").id,
                "rate": 1.0,
                "name": "2026-01-01",
                "company_id": cls.env.company.root_id.id,
            }
        )
        cls.whole_cycle = cls._approve(
            cls._create_cycle(
                name="whole", date_start="2026-12-01", date_end="2026-12-31"
            )
        )

    def _payroll(self, suffixes=("0000",) * 5, cycle=None):
        return super()._payroll(list(suffixes), cycle=cycle or self.whole_cycle)

    def _wizard(self, payroll):
        action = payroll.with_user(self.finance).action_open_execute_wizard()
        return (
            self.env[action["res_model"]]
            .with_user(self.finance)
            .browse(action["res_id"])
        )

    def _balance_requests(self):
        return [r for r in self.sim.requests if r[1] == mpesa.BALANCE_PATH]

    @contextmanager
    def _logged(self):
        """What the callback entry point logs meanwhile, as one text."""
        with patch.object(callback_model._logger, "info") as info:
            yield lambda: "\n".join(
                call.args[0] % call.args[1:] for call in info.call_args_list
            )

    def _chatter(self):
        return " ".join(self.fsp.message_ids.mapped("body"))

    def test_balance_is_pending_then_the_simulators_figure(self):
        payroll = self._payroll()
        wizard = self._wizard(payroll)
        # Opening the wizard asked Daraja; the answer comes by callback.
        self.assertEqual(len(self._balance_requests()), 1)
        self.assertEqual(self.sim.violations, [])
        self.assertEqual(wizard.line_ids.balance_state, "pending")
        self.assertTrue(wizard.line_ids.balance_requested)
        self.assertFalse(wizard.line_ids.sufficient)
        self.assertFalse(wizard.can_execute)
        with self.assertRaisesRegex(UserError, "requested at .* no answer yet"):
            payroll.with_user(self.finance).action_execute()
        (url, _body, _headers) = self.sim.callbacks[0]
        self.assertTrue(url.endswith("/callback/balance"))
        self.assertEqual(self.sim.flush(), [200])
        self.assertEqual(self.fsp.balance_state, "known")
        self.assertEqual(self.fsp.balance_amount, 228037.0)
        self.assertIn("Utility Account", self.fsp.balance_source)
        wizard.action_refresh()
        self.assertEqual(wizard.line_ids.balance_state, "known")
        self.assertEqual(wizard.line_ids.balance, 228037.0)
        self.assertTrue(wizard.line_ids.sufficient)
        self.assertTrue(wizard.can_execute)
        # A fresh known balance is not asked again.
        self._wizard(payroll)
        self.assertEqual(len(self._balance_requests()), 1)
        with trap_jobs():
            run = payroll.with_user(self.finance).action_execute()
        self.assertFalse(run.funding_confirmation_ids)

    def test_short_balance_refuses_execution_with_the_figures(self):
        self.sim.accounts["Utility Account"] = ("900.00", "12.50")
        payroll = self._payroll()
        self._wizard(payroll)
        self.sim.flush()
        self.assertEqual(self.fsp.balance_amount, 12.5)
        wizard = self._wizard(payroll)
        self.assertTrue(wizard.line_ids.short)
        self.assertTrue(wizard.has_short)
        with self.assertRaisesRegex(UserError, r"M-Pesa has 12\.5 as of .* needs"):
            wizard.action_confirm()
        self.assertFalse(payroll.run_ids)

    def test_configured_account_is_read(self):
        self.fsp.mpesa_balance_account = "Working Account"
        self.fsp._spp_request_balance()
        self.sim.flush()
        self.assertEqual(self.fsp.balance_amount, 700000.0)

    def test_failed_and_timed_out_queries_leave_the_balance_unknown(self):
        self.sim.balance_faults = ["fail", "timeout"]
        self.assertTrue(self.fsp._spp_request_balance())
        self.assertEqual(self.fsp.balance_state, "pending")
        self.assertEqual(self.sim.flush(), [200])
        self.assertEqual(self.fsp.balance_state, "unknown")
        self.assertIn("2001 The initiator information is invalid.", self._chatter())
        self.assertTrue(self.fsp._spp_request_balance())
        (url, _body, _headers) = self.sim.callbacks[0]
        self.assertTrue(url.endswith("/callback/balance_timeout"))
        self.sim.flush()
        self.assertEqual(self.fsp.balance_state, "unknown")
        self.assertIn("queue timeout", self._chatter())
        payroll = self._payroll()
        with self.assertRaisesRegex(UserError, "Finance Manager must confirm"):
            payroll.with_user(self.finance).action_execute()

    def test_refused_request_leaves_the_balance_unknown(self):
        self.fsp.sudo().mpesa_initiator_password = "wrong"
        self.assertFalse(self.fsp._spp_request_balance())
        self.assertEqual(self.fsp.balance_state, "unknown")
        self.assertIn("refused by Daraja", self._chatter())
        self.sim.violations.clear()

    def test_malformed_balance_result_is_refused_and_logged(self):
        self.fsp._spp_request_balance()
        (url, body, headers) = self.sim.callbacks.popleft()
        body["Result"]["ResultParameters"]["ResultParameter"][0]["Value"] = (
            "Utility Account|KES|lots"
        )
        with self._logged() as logs:
            status = self._deliver(url, body, headers)
        callback = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)], limit=1
        )
        self.assertEqual((status, callback.state), (400, "refused"), callback.result)
        self.assertIn("has not 6 fields", logs())
        callback = self.env["spp.payment.callback"].search(
            [("fsp_id", "=", self.fsp.id)], limit=1
        )
        self.assertEqual(callback.state, "refused")
        self.assertEqual(self.fsp.balance_state, "pending")
        # A Result naming no conversation Daraja opened with us is not applied.
        body["Result"]["ConversationID"] = "AG_forged"
        body["Result"]["ResultParameters"]["ResultParameter"][0]["Value"] = (
            "Utility Account|KES|1.00|99999999.00|0.00|0.00"
        )
        with self._logged() as logs:
            self.assertEqual(self._deliver(url, body, headers), 401)
        self.assertIn("ConversationID does not match", logs())
        self.assertEqual(self.fsp.balance_state, "pending")

    def test_balance_in_another_currency_is_refused(self):
        self.fsp.currency_id = self.env.ref("base.USD")
        self.fsp._spp_request_balance()
        with self._logged() as logs:
            self.assertEqual(self.sim.flush(), [400])
        self.assertIn("Utility Account is in KES, the FSP in USD", logs())
        self.assertEqual(self.fsp.balance_state, "pending")

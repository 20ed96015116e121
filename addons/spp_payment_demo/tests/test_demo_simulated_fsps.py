# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, tagged

from odoo.addons.queue_job.job import Job
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_base.tests.common import server_log
from odoo.addons.spp_payroll.tests.common import fund_fsps, perform_jobs

from ..models.spp_demo_fsp import demo_outcome

# What the simulated FSP does -> where the payment may end.
EXPECTED = {
    "paid": {"paid"},
    "duplicate_callback": {"paid"},
    "lost_callback": {"paid"},
    "reversed": {"paid", "reversed"},
    "insufficient_funds": {"failed", "rejected"},
    "invalid_account": {"failed", "rejected"},
}


@tagged("post_install", "-at_install")
class TestDemoSimulatedFsps(HttpCase):
    """The demo as a new user tries it: a payroll split across M-Pesa, G2P
    Connect and Payment Hub EE, all three simulated and served by this Odoo over
    HTTP, is paid, partly fails, is retried and reconciles."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["spp.demo.generator"]._generate(households=150, seed=0.3)
        cls.fsps = cls.env["spp.demo.fsp"]._configure(cls.base_url())
        # The demo's FSP accounts are funded: their balances known (the
        # balance checks have their own tests in spp_payroll).
        fund_fsps(cls.env["spp.fsp"].search([]))
        cls.users = {u.login: u for u in cls.env["res.users"].search([])}
        cls.demo = cls.env["spp.demo.fsp"]

    def _approved_payroll(self):
        cycle = self.env["spp.payment.cycle"].search(
            [("program_id.code", "=", "DEMO-CT")], limit=1
        )
        payroll = (
            self.env["spp.payroll"]
            .with_user(self.users["officer"])
            .create({"name": "Demo API", "cycle_id": cycle.id})
        )
        payroll.action_generate()
        payroll.action_submit()
        payroll.with_user(self.users["manager"]).action_approve()
        return payroll

    def _run(self, payroll, method):
        with trap_jobs() as trap, self.allow_requests(all_requests=True):
            getattr(payroll.with_user(self.users["finance"]), method)()
            perform_jobs(trap)

    def _fsps_call_back(self):
        """The FSPs' "later": the demo cron settles them and they call back
        over HTTP; then the queue jobs the callbacks started (PHEE polls) run.
        Odoo's log of those requests is kept in ``self.log``."""
        self.env.flush_all()
        with self.allow_requests(all_requests=True), server_log() as lines:
            self.demo._cron_settle()
            self.env.invalidate_all()
            for record in self.env["queue.job"].search([("state", "=", "pending")]):
                job = Job.load(self.env, record.uuid)
                job.perform()
                job.set_done()
                job.store()
        self.log += lines
        self.env.invalidate_all()

    def setUp(self):
        super().setUp()
        self.log = []

    def test_payroll_across_simulated_fsps_is_paid_reconciled_and_retried(self):
        payroll = self._approved_payroll()
        api = payroll.payment_ids.filtered(lambda p: p.fsp_id in self.fsps)
        self.assertEqual(
            set(api.fsp_id.mapped("provider")), {"mpesa", "g2p_connect", "phee"}
        )
        self._run(payroll, "action_execute")
        self.assertEqual(set(api.mapped("state")), {"accepted"})
        # PHEE works through its batch; no callback has arrived yet.
        self.demo._simulator("phee").settle()
        with self.allow_requests(all_requests=True), trap_jobs() as trap:
            pull_action = payroll.with_user(
                self.users["finance"]
            ).action_pull_reconciliation()
            perform_jobs(trap)
        pull = self.env["spp.reconciliation"].browse(pull_action["res_id"])
        mpesa = api.filtered(lambda p: p.fsp_id.provider == "mpesa")
        self.assertEqual(
            pull.summary["pull"]["Demo M-Pesa (simulated)"]["answers_by_callback"],
            len(mpesa),
        )
        self.assertEqual(
            set(pull.line_ids.payment_id.fsp_id.mapped("provider")),
            {"g2p_connect", "phee"},
        )
        for line in pull.line_ids:
            self.assertEqual(line.fsp_id, line.payment_id.fsp_id)
        pull.with_user(self.users["manager"]).action_approve()
        self.assertTrue(pull.applied_date)
        self._fsps_call_back()  # M-Pesa results, G2P Connect callbacks
        self.fsps.write({"status_query_after_minutes": 0})
        with self.allow_requests(all_requests=True):
            self.env["spp.fsp"]._cron_spp_query_statuses()  # lost callbacks
        self._fsps_call_back()  # M-Pesa answers status queries by callback
        for payment in api:
            outcome = demo_outcome(payment.destination)
            self.assertIn(payment.state, EXPECTED[outcome], payment.destination)
        failed = api.filtered(lambda p: p.state in ("failed", "rejected"))
        self.assertTrue(failed, "the demo shows failures")
        self.assertTrue(api.filtered(lambda p: p.state == "paid"))
        first_keys = failed.current_attempt_id.mapped("idempotency_key")
        self._run(payroll, "action_retry_failed")
        self._fsps_call_back()
        self.assertEqual(set(failed.mapped("attempt_count")), {2})
        self.assertFalse(
            set(failed.current_attempt_id.mapped("idempotency_key")) & set(first_keys)
        )
        for provider in ("mpesa", "g2p_connect", "phee"):
            simulator = self.demo._simulator(provider)
            self.assertEqual(simulator.violations, [], provider)
            self.assertEqual(simulator.paid_twice(), [], provider)
        callbacks = self.env["spp.payment.callback"].search(
            [("fsp_id", "in", self.fsps.ids)]
        )
        self.assertTrue(callbacks)
        self.assertFalse(callbacks.filtered(lambda c: c.state == "refused"))
        self.assertEqual(
            set(callbacks.mapped("provider")), {"mpesa", "g2p_connect", "phee"}
        )
        # The callbacks came over HTTP, and Odoo's request log printed their
        # URLs: no FSP's callback secret is in it.
        log = "\n".join(self.log)
        self.assertIn("/spp_payment/fsp/", log)
        for fsp in self.fsps:
            self.assertIn(fsp.callback_public_id, log)
            self.assertNotIn(fsp.sudo().callback_secret, log)

    def test_simulators_answer_only_for_test_mode_fsps(self):
        path = "/spp_payment_demo/fsp/g2p_connect/oauth2/client/token"
        form = {"grant_type": "client_credentials", "client_id": "spp"}
        form["client_secret"] = "secret"
        self.assertEqual(self.url_open(path, data=form).status_code, 200)
        self.fsps.filtered(lambda f: f.provider == "g2p_connect").state = "enabled"
        self.assertEqual(self.url_open(path, data=form).status_code, 404)
        self.assertEqual(self.url_open("/spp_payment_demo/fsp/bank/x").status_code, 404)

    def test_mpesa_balance_is_pending_then_the_simulators_figure(self):
        """The execute wizard asks the simulated Daraja for its AccountBalance:
        pending until the Result callback arrives, then its figure."""
        mpesa = self.env["spp.fsp"].search([("name", "=", "Demo M-Pesa (simulated)")])
        mpesa._spp_forget_balance("not asked yet")
        payroll = self._approved_payroll()
        finance = self.users["finance"]
        with self.allow_requests(all_requests=True):
            action = payroll.with_user(finance).action_open_execute_wizard()
        wizard = (
            self.env[action["res_model"]].with_user(finance).browse(action["res_id"])
        )
        (line,) = wizard.line_ids.filtered(lambda line: line.fsp_id == mpesa)
        self.assertEqual(line.balance_state, "pending")
        self.assertFalse(line.sufficient)
        self.assertFalse(wizard.can_execute)

        self._fsps_call_back()
        with self.allow_requests(all_requests=True):
            wizard.action_refresh()
        (line,) = wizard.line_ids.filtered(lambda line: line.fsp_id == mpesa)
        self.assertEqual(line.balance_state, "known")
        # The simulator's Utility Account, the one B2C payments draw on.
        self.assertEqual(mpesa.currency_id.compare_amounts(line.balance, 228037.00), 0)
        self.assertIn("AccountBalance", line.balance_source or "")
        self.assertTrue(line.sufficient, (line.to_pay, line.balance))

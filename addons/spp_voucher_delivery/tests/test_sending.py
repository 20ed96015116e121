# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import deque

import psycopg2

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs

from .common import SppDeliveryCommon


@tagged("post_install", "-at_install")
class TestSending(SppDeliveryCommon):
    def test_whatsapp_success_is_sent_then_delivered(self):
        deliveries = self._send(self.vouchers, self.whatsapp)
        self.assertEqual(len(deliveries), len(self.vouchers))
        self.assertEqual(set(deliveries.mapped("state")), {"sent"})
        self.assertTrue(all(d.message_id.startswith("wamid.") for d in deliveries))
        self.assertEqual(len(self.wa_sim.sent), len(self.vouchers))
        self.assertEqual(self.wa_sim.violations, [])
        # A template message with the voucher's code as a parameter.
        to, body = self.wa_sim.sent[0]
        voucher = deliveries.filtered(
            lambda d: d.recipient.lstrip("+") == to
        ).voucher_id
        code = voucher._spp_card_secrets()[voucher.id][0]
        params = [p["text"] for p in body["template"]["components"][0]["parameters"]]
        self.assertEqual(body["type"], "template")
        self.assertIn(code, params)
        self.wa_sim.flush()
        self.env.invalidate_all()
        self.assertEqual(set(deliveries.mapped("state")), {"delivered"})

    def test_send_screen_sends_the_selected_vouchers_once(self):
        selected = self.vouchers[:2]
        wizard = (
            self.env["spp.voucher.send"]
            .with_user(self.finance)
            .with_context(active_model="spp.voucher", active_ids=selected.ids)
            .create({"provider_id": self.sms.id})
        )
        self.assertEqual(wizard.voucher_count, 2)
        with trap_jobs() as trap:
            notice = wizard.action_send()
            perform_jobs(trap)
        self.assertIn("2 of 2 vouchers queued", notice["params"]["message"])
        self.env.invalidate_all()
        self.assertEqual(set(self._deliveries(selected).mapped("state")), {"sent"})
        self.assertEqual(len(self.sms_sim.sent), 2)
        # Sent again from the payroll: only the three others go out.
        wizard = (
            self.env["spp.voucher.send"]
            .with_user(self.finance)
            .create({"payroll_id": self.payroll.id, "provider_id": self.sms.id})
        )
        with trap_jobs() as trap:
            notice = wizard.action_send()
            perform_jobs(trap)
        self.assertIn("3 of 5 vouchers queued", notice["params"]["message"])
        self.assertEqual(len(self.sms_sim.sent), 5)
        with self.assertRaises(AccessError):
            self.env["spp.voucher.send"].with_user(self.users["viewer"]).create(
                {"payroll_id": self.payroll.id, "provider_id": self.sms.id}
            )

    def test_sms_success_and_refused_number(self):
        self._set_phone(self.vouchers[1], "0009")
        deliveries = self._send(self.vouchers[:2], self.sms)
        first, second = deliveries.sorted(lambda d: d.voucher_id.id)
        self.assertEqual(first.state, "sent")
        self.assertTrue(first.message_id.startswith("ATXid_"))
        self.assertEqual(second.state, "failed")
        self.assertIn("InvalidPhoneNumber", second.error)
        self.assertEqual(len(self.sms_sim.sent), 1)
        self.assertIn(self.vouchers[0].name, self.sms_sim.sent[0][1])
        self.assertEqual(self.sms_sim.violations, [])

    def test_invalid_token_fails_without_retry_and_keeps_no_secret(self):
        self.whatsapp.api_token = "wrong-token"
        deliveries = self._send(self.vouchers[:1], self.whatsapp)
        self.assertEqual(deliveries.state, "failed")
        self.assertIn("error 190", deliveries.error)
        self.assertFalse(deliveries.retryable)
        self.assertEqual(len(self.wa_sim.requests), 1)
        self.assertNotIn("wrong-token", deliveries.error)

    def test_rate_limit_is_retried_by_the_http_layer(self):
        self.wa_sim.throttle_next(2)  # 429 / 130429 twice, then accepted
        deliveries = self._send(self.vouchers[:1], self.whatsapp)
        self.assertEqual(deliveries.state, "sent")
        self.assertEqual(len(self.wa_sim.requests), 3)

    def test_rate_limit_exhausted_fails_retryable_then_explicit_retry(self):
        self.wa_sim.throttle_next(3)
        first = self._send(self.vouchers[:1], self.whatsapp)
        self.assertEqual(first.state, "failed")
        self.assertIn("130429", first.error)
        self.assertTrue(first.retryable)
        # Sending again is not retrying: nothing goes out.
        again = self._send(self.vouchers[:1], self.whatsapp)
        self.assertFalse(again)
        self.assertEqual(len(self.wa_sim.sent), 0)
        # An explicit retry, here through the SMS gateway, is a new attempt.
        retry = self._send(first, self.sms, method="action_retry")
        self.assertEqual(
            (retry.attempt, retry.state, retry.channel), (2, "sent", "sms")
        )
        self.assertEqual(first.state, "failed")
        self.assertEqual(len(self.sms_sim.sent), 1)
        with self.assertRaises(UserError):
            retry.action_retry()

    def test_never_sent_twice(self):
        self._send(self.vouchers, self.whatsapp)
        count = len(self.wa_sim.sent)
        self.assertFalse(self._send(self.vouchers, self.whatsapp))
        self.assertFalse(self._send(self.vouchers, self.sms))
        self.assertEqual(len(self.wa_sim.sent), count)
        self.assertEqual(self.sms_sim.sent, [])
        # A job run again (after a crash, say) sends nothing claimed before.
        deliveries = self._deliveries(self.vouchers)
        deliveries._job_send(deliveries.ids)
        self.assertEqual(len(self.wa_sim.sent), count)
        # The database refuses a second live delivery whatever the path.
        with mute_logger("odoo.sql_db"), self.assertRaises(psycopg2.IntegrityError):
            with self.env.cr.savepoint():
                self.env["spp.voucher.delivery"].create(
                    {
                        "voucher_id": self.vouchers[0].id,
                        "company_id": self.vouchers[0].company_id.id,
                        "provider_id": self.sms.id,
                        "channel": "sms",
                        "attempt": 9,
                    }
                )

    def test_a_delivery_claimed_elsewhere_is_not_sent(self):
        """Two workers read the same queued delivery: the one whose claim
        (queued -> sending, committed before the call) fails sends nothing."""
        with trap_jobs():
            delivery = (
                self.vouchers[:1].with_user(self.finance).action_send(self.whatsapp)
            )
        self.assertEqual(delivery.state, "queued")  # as this worker read it
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE spp_voucher_delivery SET state = 'sending' WHERE id = %s",
            [delivery.id],
        )
        delivery._job_send(delivery.ids)  # its cache still says queued
        self.assertEqual(self.wa_sim.requests, deque())
        self.env.invalidate_all()
        self.assertEqual(delivery.state, "sending")

    def test_no_phone_is_a_failed_delivery_not_a_call(self):
        self.vouchers[0].partner_id.phone_e164 = False
        delivery = self._send(self.vouchers[:1], self.whatsapp)
        self.assertEqual(delivery.state, "failed")
        self.assertIn("no mobile number", delivery.error)
        self.assertEqual(len(self.wa_sim.requests), 0)

    def test_only_finance_officers_send(self):
        officer = self.users["program_officer"]
        with self.assertRaises(AccessError):
            self.vouchers.with_user(officer).action_send(self.whatsapp)
        self.assertFalse(self._deliveries(self.vouchers))

    def test_token_is_admin_only(self):
        provider = self.whatsapp.with_user(self.finance)
        with self.assertRaises(AccessError):
            provider.read(["api_token"])
        with self.assertRaises(AccessError):
            provider.read(["app_secret"])

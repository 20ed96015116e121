# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo.tests import HttpCase

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payroll.tests.common import perform_jobs
from odoo.addons.spp_voucher.tests.common import SppVoucherCommon

from .simulators import AfricasTalkingSimulator, WhatsAppCloudSimulator

TOKEN = "EAAG-wa-access-token-0123456789"
APP_SECRET = "wa-app-secret-9f8e7d6c"
SMS_KEY = "atsk-sms-api-key-abcdef"


class SppDeliveryCommon(SppVoucherCommon, HttpCase):
    """spp_voucher's approved voucher payroll and its vouchers, a WhatsApp and
    an SMS provider, each talking to its simulator."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = cls.users["finance_officer"]
        cls.wa_sim = WhatsAppCloudSimulator(TOKEN, APP_SECRET, "1098765432")
        cls.wa_sim.start()
        cls.addClassCleanup(cls.wa_sim.stop)
        cls.sms_sim = AfricasTalkingSimulator("spp-sandbox", SMS_KEY)
        cls.sms_sim.start()
        cls.addClassCleanup(cls.sms_sim.stop)
        providers = cls.env["spp.notification.provider"]
        cls.whatsapp = providers.create(
            {
                "name": "WhatsApp",
                "kind": "whatsapp_cloud",
                "api_url": cls.wa_sim.base_url + "/v21.0",
                "phone_number_id": "1098765432",
                "template_name": "spp_voucher_issued",
                "api_token": TOKEN,
                "app_secret": APP_SECRET,
                "rate_limit_tps": 0,
                "retry_backoff_seconds": 0,
                "chunk_size": 2,
            }
        )
        cls.sms = providers.create(
            {
                "name": "SMS",
                "kind": "sms_gateway",
                "api_url": cls.sms_sim.base_url,
                "sms_username": "spp-sandbox",
                "api_token": SMS_KEY,
                "rate_limit_tps": 0,
                "retry_backoff_seconds": 0,
            }
        )

    def setUp(self):
        super().setUp()
        for sim in (self.wa_sim, self.sms_sim):
            for queue in (sim.callbacks, sim.faults, sim.requests, sim.delivered):
                queue.clear()
            sim.violations.clear()
            sim.sent.clear()
        self.wa_sim.throttled = 0
        self.wa_sim.webhook_url = self.whatsapp.webhook_url.replace(
            self.whatsapp.webhook_url.split("/spp_voucher_delivery/")[0],
            self.base_url(),
        )
        self.wa_sim.deliver = self._post_webhook

    def _post_webhook(self, url, body, headers):
        response = self.url_open(
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", **headers},
        )
        return response.status_code

    def _send(self, records, provider, method="action_send"):
        with trap_jobs() as trap:
            result = getattr(records.with_user(self.finance), method)(provider)
            perform_jobs(trap)
        self.env.invalidate_all()
        return result

    def _set_phone(self, voucher, suffix):
        voucher.partner_id.phone_e164 = f"+2547{voucher.id % 10000:04d}{suffix}"

    def _deliveries(self, vouchers):
        return self.env["spp.voucher.delivery"].search(
            [("voucher_id", "in", vouchers.ids)], order="voucher_id, attempt"
        )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import datetime
import uuid

from odoo import fields
from odoo.tools import SQL

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.spp_payment_account.tests.common import SppAccountCommon
from odoo.addons.spp_payroll.tests.common import SppPayrollCommon, perform_jobs


class SppVoucherBooksCommon(SppAccountCommon, SppPayrollCommon):
    """The books of SppAccountCommon and a voucher clearing account (list it
    after SppVoucherCommon, whose voucher payroll is then approved with its
    books set)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.voucher_account = cls.env["account.account"].create(
            {
                "name": "Vouchers Outstanding",
                "code": "SPP140",
                "account_type": "liability_current",
            }
        )
        cls.program.with_user(
            cls.users["finance_manager"]
        ).account_voucher_id = cls.voucher_account

    def _settle(self, merchant):
        """A settlement of ``merchant``'s redemptions of today, collected by a
        finance officer, approved by a Finance Manager, its payment sent."""
        today = fields.Date.context_today(self.env["spp.voucher"])
        settlement = (
            self.env["spp.merchant.settlement"]
            .with_user(self.users["finance_officer"])
            .create(
                {
                    "merchant_id": merchant.id,
                    "program_id": self.program.id,
                    "date_from": today - datetime.timedelta(days=1),
                    "date_to": today,
                    "fsp_id": self.fsp.id,
                }
            )
        )
        settlement.action_collect()
        settlement.action_submit()
        with trap_jobs() as trap:
            settlement.with_user(self.users["finance_manager"]).action_approve()
            perform_jobs(trap)
        settlement.invalidate_recordset()
        return settlement.sudo()

    def _expire(self, vouchers):
        """``vouchers`` past their last day, expired by the cron."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE spp_voucher SET valid_until = %s WHERE id = ANY(%s)",
                fields.Date.today() - datetime.timedelta(days=1),
                vouchers.ids,
            )
        )
        self.env.invalidate_all()
        self.env["spp.voucher"]._cron_spp_expire()

    def _voucher_moves(self, event):
        return self.env["account.move"].search(
            [("spp_program_id", "=", self.program.id), ("spp_event", "=", event)],
            order="id",
        )

    def _uuid(self):
        return str(uuid.uuid4())

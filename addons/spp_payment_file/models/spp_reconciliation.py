# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from spp_payment_core.iso20022 import DECEASED

from odoo import fields, models
from odoo.tools import SQL


class SppReconciliation(models.Model):
    _inherit = "spp.reconciliation"

    statement_id = fields.Many2one(
        "spp.fsp.statement", readonly=True, index="btree_not_null", copy=False
    )

    def _spp_finish_apply(self, payroll_ids):
        result = super()._spp_finish_apply(payroll_ids)
        self._spp_flag_deceased()
        return result

    def _spp_flag_deceased(self):
        """A return with reason MD07 (end customer deceased) flags the registrant
        for the registry team; the payment itself is already failed or returned."""
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner r
                   SET spp_reported_deceased = TRUE,
                       spp_reported_deceased_date = %s
                  FROM spp_reconciliation_line l
                  JOIN spp_payment p ON p.id = l.payment_id
                 WHERE l.reconciliation_id = %s AND l.reason_code = %s
                   AND r.id = p.partner_id
                """,
                fields.Date.context_today(self),
                self.id,
                DECEASED,
            )
        )
        self.env["res.partner"].invalidate_model(
            ["spp_reported_deceased", "spp_reported_deceased_date"]
        )

    def _spp_attach_file(self, raw, file_name):
        """Keep the imported file with its batch, as evidence."""
        self.ensure_one()
        attachment = (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": file_name,
                    "raw": raw,
                    "res_model": self._name,
                    "res_id": self.id,
                }
            )
        )
        self._spp_write_approval({"attachment_id": attachment.id})

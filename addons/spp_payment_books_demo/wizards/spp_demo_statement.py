# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The end-of-day camt.053 statement the demo's ISO 20022 bank would send
for a payroll it was instructed to pay: one booked debit per payment sent to
it (its EndToEndId, the payment's reference; its amount in the bank's
currency), the last ``returned`` of them returned as credits (AC04, account
closed). The demo user downloads it and imports it (Import FSP Reply)."""

import base64
from decimal import Decimal

from spp_payment_core.simulators.bank_statement import Entry, write_camt053

from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.spp_payment_base.tools import reopen_wizard

from ..models.spp_demo_books import BANK_OPENING

RETURN_CODE = "AC04"


class SppDemoBooksStatement(models.TransientModel):
    _name = "spp.demo.books.statement"
    _description = "Demo Bank Statement (camt.053)"

    payroll_id = fields.Many2one(
        "spp.payroll",
        required=True,
        domain=[("approval_state", "=", "approved")],
    )
    fsp_id = fields.Many2one(
        "spp.fsp",
        string="Bank",
        required=True,
        domain=[("provider", "=", "file"), ("file_format", "like", "pain.001")],
    )
    returned = fields.Integer(
        string="Payments Returned",
        default=1,
        help="The last payments of the statement come back (account closed).",
    )
    data = fields.Binary(string="Statement", readonly=True, attachment=False)
    file_name = fields.Char(readonly=True)

    @api.model
    def _spp_statement(self, payroll, fsp, returned=1):
        """(bytes, file name) of the statement of ``fsp``'s account booking
        the payments of ``payroll`` it was sent, read with the user's rights."""
        payroll.check_access("read")
        rows = self.env["spp.payment"].search_read(
            [
                ("payroll_id", "=", payroll.id),
                ("fsp_id", "=", fsp.id),
                ("state", "=", "sent"),
            ],
            ["reference", "amount", "fsp_amount"],
            order="id",
        )
        if not rows:
            raise UserError(
                self.env._(
                    "%(bank)s holds no payment of %(payroll)s waiting for its "
                    "statement: execute the payroll first.",
                    bank=fsp.name,
                    payroll=payroll.name,
                )
            )
        currency = fsp.currency_id
        keep = len(rows) - max(0, min(returned, len(rows)))
        entries = [
            Entry(
                row["reference"],
                Decimal(str(currency.round(row["fsp_amount"] or row["amount"]))),
                None if n < keep else RETURN_CODE,
            )
            for n, row in enumerate(rows)
        ]
        opening = fsp.balance_amount if fsp.balance_state == "known" else BANK_OPENING
        now = fields.Datetime.now()
        msg_id = f"DEMO-{fsp.id}-{payroll.id}-{now:%Y%m%d%H%M%S}"
        raw = write_camt053(
            fsp.iso_debtor_account,
            currency.name,
            entries,
            opening=Decimal(str(currency.round(opening))),
            msg_id=msg_id,
            created=now,
            decimal_places=currency.decimal_places,
        )
        return raw, f"{msg_id}.camt053.xml"

    def action_generate(self):
        self.ensure_one()
        raw, name = self._spp_statement(self.payroll_id, self.fsp_id, self.returned)
        self.write({"data": base64.b64encode(raw), "file_name": name})
        return reopen_wizard(self)

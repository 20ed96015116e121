# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Bank statements (ISO 20022 camt.053) and account reports (camt.052) of a
file FSP's account, as imported: their balances set the FSP's balance, their
booked entries confirm payments through reconciliation batches."""

from odoo import fields, models


class SppFspStatement(models.Model):
    _name = "spp.fsp.statement"
    _description = "FSP Account Statement"
    _order = "balance_date desc, id desc"

    name = fields.Char(string="Statement", required=True, readonly=True)
    fsp_id = fields.Many2one(
        "spp.fsp",
        string="FSP",
        required=True,
        readonly=True,
        index=True,
        ondelete="restrict",
    )
    company_id = fields.Many2one(related="fsp_id.company_id", store=True)
    currency_id = fields.Many2one(related="fsp_id.currency_id")
    kind = fields.Selection(
        [("camt053", "Statement (camt.053)"), ("camt052", "Account report (camt.052)")],
        required=True,
        readonly=True,
    )
    message_version = fields.Char(readonly=True, help="e.g. camt.053.001.02")
    msg_id = fields.Char(string="Message ID", required=True, readonly=True)
    account = fields.Char(readonly=True)
    created_datetime = fields.Datetime(string="Created by the Bank", readonly=True)
    from_datetime = fields.Datetime(string="From", readonly=True)
    to_datetime = fields.Datetime(string="To", readonly=True)
    opening_balance = fields.Monetary(readonly=True, currency_field="currency_id")
    closing_balance = fields.Monetary(readonly=True, currency_field="currency_id")
    balance_code = fields.Char(
        readonly=True,
        help="The balance taken as closing: CLBD (closing booked); for an "
        "intraday camt.052 without it, ITBD (interim booked) or CLAV (closing "
        "available).",
    )
    balance_date = fields.Datetime(string="Balance as of", readonly=True)
    balance_applied = fields.Boolean(
        readonly=True,
        help="The closing balance became the FSP's balance (an older statement "
        "than the balance held does not).",
    )
    entry_count = fields.Integer(string="Entries", readonly=True)
    booked_debit_count = fields.Integer(string="Booked Debits", readonly=True)
    booked_credit_count = fields.Integer(string="Booked Credits", readonly=True)
    pending_count = fields.Integer(string="Not Booked", readonly=True)
    matched_count = fields.Integer(string="Matched", readonly=True)
    unmatched_count = fields.Integer(string="Unmatched", readonly=True)
    unmatched_html = fields.Html(string="Unmatched Entries", readonly=True)
    reconciliation_ids = fields.One2many(
        "spp.reconciliation", "statement_id", string="Reconciliations", readonly=True
    )
    file_name = fields.Char(readonly=True)
    attachment_id = fields.Many2one("ir.attachment", readonly=True)

    # A statement is imported once (see the import wizard's message).
    _statement_once = models.UniqueIndex(
        "(fsp_id, msg_id, name)", "This statement has already been imported."
    )

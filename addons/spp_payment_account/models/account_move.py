# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import fields, models

MODULE = "spp_payment_account"

EVENTS = [
    ("execution", "Execution"),
    ("reconciliation", "Reconciliation"),
    ("settlement", "Settlement"),
    ("overpayment", "Overpayment"),
    ("overpayment_resolution", "Overpayment Resolution"),
]
# What a line stands for, whatever account it went to: the positions posted
# so far are summed by bucket, so a later entry posts only the difference.
BUCKETS = [
    ("clearing", "Held by the FSP"),
    ("expense", "Paid to Beneficiaries"),
    ("returned", "Returned to the Fund"),
    ("fund", "Taken from the Fund"),
    ("overpaid", "Paid Out by the FSP Above the Amount"),
    ("receivable", "Overpayment Receivable"),
    ("recovered", "Overpayment Recovered"),
    ("written_off", "Overpayment Written Off"),
    ("exchange", "Exchange Difference on the Expense"),
    ("exchange_result", "Exchange Gain or Loss"),
]


class AccountMove(models.Model):
    _inherit = "account.move"

    spp_event = fields.Selection(EVENTS, string="SPP Event", readonly=True)
    spp_program_id = fields.Many2one(
        "spp.program", string="SPP Program", readonly=True, index="btree_not_null"
    )
    spp_payroll_id = fields.Many2one(
        "spp.payroll", string="Payroll", readonly=True, index="btree_not_null"
    )
    spp_fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    spp_run_id = fields.Many2one(
        "spp.payroll.run", string="Payroll Run", readonly=True, index="btree_not_null"
    )
    spp_reconciliation_id = fields.Many2one(
        "spp.reconciliation",
        string="Reconciliation",
        readonly=True,
        index="btree_not_null",
    )

    def _spp_open_entries(self, domain, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "account.move",
            "view_mode": "list,form",
            "views": [
                (
                    self.env.ref("spp_payment_account.view_spp_account_move_list").id,
                    "list",
                ),
                (False, "form"),
            ],
            "domain": domain,
            "context": {"create": False},
        }


class AccountMoveLine(models.Model):
    _inherit = "account.move.line"

    spp_payroll_id = fields.Many2one(
        "spp.payroll", string="Payroll", readonly=True, index="btree_not_null"
    )
    spp_fsp_id = fields.Many2one("spp.fsp", string="FSP", readonly=True)
    spp_bucket = fields.Selection(BUCKETS, string="SPP Position", readonly=True)
    # The line in the program's currency, whatever the line's own (an FSP's
    # clearing line is in the FSP's currency): the positions are summed in it.
    # Empty on lines posted before it was kept: those are in that currency.
    spp_currency_id = fields.Many2one(
        "res.currency", string="Program Currency", readonly=True
    )
    spp_amount = fields.Monetary(
        string="Amount in Program Currency",
        currency_field="spp_currency_id",
        readonly=True,
    )

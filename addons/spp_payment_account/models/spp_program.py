# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

CONFIGURERS = (
    "spp_payment_base.group_spp_admin",
    "spp_payment_base.group_spp_finance_manager",
)
PROGRAM_ACCOUNT_FIELDS = frozenset(
    {
        "account_posting",
        "account_journal_id",
        "account_expense_id",
        "account_fund_id",
        "account_overpayment_id",
    }
)


def check_account_configurer(env):
    """Accounts are set by Payments Administrators and Finance Managers only,
    whatever the path (form, RPC, import)."""
    if env.su:
        return
    if not any(env.user.has_group(group) for group in CONFIGURERS):
        raise AccessError(
            env._(
                "Only a Payments Administrator or a Finance Manager sets the "
                "accounts payrolls post to."
            )
        )


def write_accounts(records, vals, names):
    """Write the account fields of ``vals`` (those in ``names``) for a
    configurer, who may have no other write right on ``records`` (a Finance
    Manager edits no program or FSP): checked here, written as superuser.
    Returns the other values, for the caller's write with the user's rights."""
    if records.env.su or not names & vals.keys():
        return vals
    check_account_configurer(records.env)
    # The configurer still reaches only the records of their companies.
    records.check_access("read")
    records.sudo().write({k: v for k, v in vals.items() if k in names})
    return {k: v for k, v in vals.items() if k not in names}


class SppProgram(models.Model):
    _inherit = "spp.program"

    account_posting = fields.Boolean(
        string="Post to Accounting",
        tracking=True,
        help="Post this program's payrolls to the accounts below: one entry per "
        "payroll, FSP and currency on execution and on each reconciliation.",
    )
    account_journal_id = fields.Many2one(
        "account.journal",
        string="Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        tracking=True,
    )
    account_expense_id = fields.Many2one(
        "account.account",
        string="Program Expense Account",
        check_company=True,
        tracking=True,
        help="What was paid to beneficiaries.",
    )
    account_fund_id = fields.Many2one(
        "account.account",
        string="Program Fund Account",
        check_company=True,
        tracking=True,
        help="Where the money sent to FSPs comes from, and where what they "
        "return goes back.",
    )
    account_overpayment_id = fields.Many2one(
        "account.account",
        string="Overpayment Receivable Account",
        check_company=True,
        tracking=True,
        help="Receivables for money paid above what was meant; empty: the "
        "company's default.",
    )

    @api.constrains("account_posting", "account_journal_id")
    def _check_account_journal(self):
        for program in self.filtered("account_posting"):
            if not program.account_journal_id:
                raise ValidationError(
                    self.env._("%s posts to accounting: set its journal.", program.name)
                )

    def _spp_check_approval_write(self, vals):
        # Accounts are configured on an approved program too (by the roles
        # checked in write).
        names = self._spp_account_fields()
        rest = {k: v for k, v in vals.items() if k not in names}
        return super()._spp_check_approval_write(rest)

    def write(self, vals):
        vals = write_accounts(self, vals, self._spp_account_fields())
        return super().write(vals) if vals else True

    @api.model_create_multi
    def create(self, vals_list):
        names = self._spp_account_fields()
        if any(names & vals.keys() for vals in vals_list):
            check_account_configurer(self.env)
        return super().create(vals_list)

    def _spp_account_fields(self):
        """The program's account fields, set by configurers only (extended by
        the addons posting PPM floats and vouchers)."""
        return PROGRAM_ACCOUNT_FIELDS

    def _spp_overpayment_account(self):
        self.ensure_one()
        return self.account_overpayment_id or self.company_id.spp_overpayment_account_id

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""A reply import wizard may now hold a statement without a payroll: the
company rule also requires the FSP's company. The rule is noupdate: its new
domain is written here."""

DOMAIN = (
    "[('fsp_id.company_id', 'in', company_ids), "
    "'|', ('payroll_id', '=', False), ('payroll_id.company_id', 'in', company_ids)]"
)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE ir_rule SET domain_force = %s
         WHERE id = (SELECT res_id FROM ir_model_data
                      WHERE module = 'spp_payment_file'
                        AND name = 'rule_spp_reconciliation_import_company')
        """,
        [DOMAIN],
    )

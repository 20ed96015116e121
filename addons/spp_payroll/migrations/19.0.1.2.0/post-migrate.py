# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The payroll's lifecycle status is new: derive it for existing payrolls.

Payrolls closed by the payment point module (its closed_date, now a field of
spp_payroll) are closed; payrolls whose payments an accepted reconciliation
batch settled get their reconciled date; then every payroll's status and
failure flag follow from its approval, runs and payments, in one UPDATE."""

from odoo import SUPERUSER_ID, api
from odoo.tools import sql


def migrate(cr, version):
    if not version:
        return
    cr.execute("UPDATE spp_payroll SET status = 'closed' WHERE closed_date IS NOT NULL")
    if sql.table_exists(cr, "spp_reconciliation"):
        cr.execute(
            """
            UPDATE spp_payroll pr SET reconciled_date = r.applied
              FROM (SELECT p.payroll_id, MAX(rec.applied_date) AS applied
                      FROM spp_reconciliation rec
                      JOIN spp_reconciliation_line l ON l.reconciliation_id = rec.id
                      JOIN spp_payment p ON p.id = l.payment_id
                     WHERE rec.applied_date IS NOT NULL
                     GROUP BY p.payroll_id) r
             WHERE pr.id = r.payroll_id
            """
        )
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["spp.payroll"].search([])._spp_refresh_status()

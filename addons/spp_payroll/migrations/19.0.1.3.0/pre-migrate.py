# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The payroll's totals are stored now (they were counted on every read).

The columns are created and filled here, for every payroll at once, with one
pass of grouped aggregates over the payments: the ORM would otherwise compute
them payroll by payroll after the update. A database older than the columns
the totals count (flags, quarantine) is left to the ORM."""

from odoo.tools import sql

COUNTED = (
    "partner_id",
    "amount",
    "fsp_id",
    "amount_breakdown",
    "entitlement_rejected",
    "is_duplicate",
    "is_capped",
    "is_over_balance",
    "is_quarantined",
)

TOTALS = """
WITH t AS (
    SELECT payroll_id, COUNT(*) AS n, COUNT(DISTINCT partner_id) AS partners,
           COALESCE(SUM(amount) FILTER (WHERE NOT entitlement_rejected), 0)
               AS amount,
           COUNT(*) FILTER (WHERE is_duplicate) AS flagged,
           COUNT(*) FILTER (WHERE is_capped) AS capped,
           COUNT(*) FILTER (WHERE entitlement_rejected) AS rejected,
           COUNT(*) FILTER (WHERE is_over_balance) AS over_balance,
           COUNT(*) FILTER (WHERE is_quarantined) AS quarantined
      FROM spp_payment WHERE payroll_id IS NOT NULL
     GROUP BY payroll_id
),
by_fsp AS (
    SELECT payroll_id,
           jsonb_agg(jsonb_build_object('fsp', fsp, 'payments', n,
                                        'amount', amount::float) ORDER BY fsp)
               AS lines
      FROM (SELECT p.payroll_id, COALESCE(f.name, '-') AS fsp, COUNT(*) AS n,
                   COALESCE(SUM(p.amount), 0) AS amount
              FROM spp_payment p LEFT JOIN spp_fsp f ON f.id = p.fsp_id
             WHERE p.payroll_id IS NOT NULL AND NOT p.entitlement_rejected
             GROUP BY p.payroll_id, COALESCE(f.name, '-')) x
     GROUP BY payroll_id
),
by_component AS (
    SELECT payroll_id,
           jsonb_agg(jsonb_build_object('component', key, 'payments', n,
                                        'amount', amount::float) ORDER BY key)
               AS lines
      FROM (SELECT p.payroll_id, c.key, COUNT(*) AS n,
                   SUM(c.value::numeric) AS amount
              FROM spp_payment p, jsonb_each_text(p.amount_breakdown) c
             WHERE p.payroll_id IS NOT NULL AND NOT p.entitlement_rejected
             GROUP BY p.payroll_id, c.key) x
     GROUP BY payroll_id
)
UPDATE spp_payroll pr
   SET payment_count = COALESCE(t.n, 0),
       beneficiary_count = COALESCE(t.partners, 0),
       total_amount = COALESCE(t.amount, 0),
       flagged_count = COALESCE(t.flagged, 0),
       capped_count = COALESCE(t.capped, 0),
       rejected_count = COALESCE(t.rejected, 0),
       quarantined_count = COALESCE(t.quarantined, 0),
       summary_totals = jsonb_build_object(
           'over_balance', COALESCE(t.over_balance, 0),
           'by_fsp', COALESCE(f.lines, '[]'::jsonb),
           'by_component', COALESCE(c.lines, '[]'::jsonb))
  FROM spp_payroll p0
  LEFT JOIN t ON t.payroll_id = p0.id
  LEFT JOIN by_fsp f ON f.payroll_id = p0.id
  LEFT JOIN by_component c ON c.payroll_id = p0.id
 WHERE pr.id = p0.id
"""


def migrate(cr, version):
    if not version or not all(
        sql.column_exists(cr, "spp_payment", column) for column in COUNTED
    ):
        return
    cr.execute(
        """
        ALTER TABLE spp_payroll
            ADD COLUMN IF NOT EXISTS payment_count integer,
            ADD COLUMN IF NOT EXISTS beneficiary_count integer,
            ADD COLUMN IF NOT EXISTS total_amount numeric,
            ADD COLUMN IF NOT EXISTS flagged_count integer,
            ADD COLUMN IF NOT EXISTS capped_count integer,
            ADD COLUMN IF NOT EXISTS rejected_count integer,
            ADD COLUMN IF NOT EXISTS quarantined_count integer,
            ADD COLUMN IF NOT EXISTS summary_totals jsonb
        """
    )
    cr.execute(TOTALS)

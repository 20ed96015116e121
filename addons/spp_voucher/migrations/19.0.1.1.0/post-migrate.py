# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Reversals became partial (reversed_amount, spp.voucher.reversal): a
redemption reversed before holds its whole amount as reversed, and its reversal
gets a row of its own, keyed on the redemption."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE spp_voucher_redemption SET reversed_amount = amount
         WHERE state = 'reversed' AND COALESCE(reversed_amount, 0) = 0
        """
    )
    cr.execute(
        """
        INSERT INTO spp_voucher_reversal
            (redemption_id, company_id, amount, key, reason, user_id, date,
             create_uid, create_date, write_uid, write_date)
        SELECT r.id, r.company_id, r.amount, r.txn_uuid || '#reversal',
               COALESCE(r.reversal_reason, '-'), r.reversed_by_id,
               COALESCE(r.reversed_date, r.write_date), r.write_uid,
               r.write_date, r.write_uid, r.write_date
          FROM spp_voucher_redemption r
         WHERE r.state = 'reversed'
           AND NOT EXISTS (
               SELECT 1 FROM spp_voucher_reversal x WHERE x.redemption_id = r.id)
        """
    )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payments store their attempt count (a non-stored compute before) and the
FSP's last message, for the status overview. Added here with their default
(no table rewrite) and filled in one statement each from the attempts, before
Odoo would fill the new columns row by row."""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            "ALTER TABLE spp_payment "
            "ADD COLUMN IF NOT EXISTS attempt_count integer DEFAULT 0, "
            "ADD COLUMN IF NOT EXISTS last_fsp_message varchar"
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE spp_payment p SET attempt_count = a.n
              FROM (SELECT payment_id, COUNT(*) AS n FROM spp_payment_attempt
                     GROUP BY payment_id) a
             WHERE p.id = a.payment_id
            """
        )
    )
    # The newest answered attempt's status and reason, as the FSP outcomes
    # now write them (reason code, then the raw status).
    cr.execute(
        SQL(
            """
            UPDATE spp_payment p
               SET last_fsp_message = left(concat_ws(' ', a.fsp_reason_code,
                                                     a.fsp_status_raw), 250)
              FROM (SELECT DISTINCT ON (payment_id) payment_id, fsp_reason_code,
                           fsp_status_raw
                      FROM spp_payment_attempt
                     WHERE fsp_status_raw IS NOT NULL
                     ORDER BY payment_id, attempt_no DESC) a
             WHERE p.id = a.payment_id
            """
        )
    )

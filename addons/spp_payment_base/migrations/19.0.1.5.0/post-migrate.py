# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payments made before multi-currency were paid in their program's currency:
their FSP amount is their amount, in one statement."""


def migrate(cr, version):
    cr.execute(
        """
        UPDATE spp_payment
           SET fsp_amount = amount, fsp_currency_id = currency_id
         WHERE fsp_amount IS NULL
        """
    )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The one-paid and one-in-flight indexes on the attempts' state gave way to one
unique index on the generated holds_slot column (created with the module's
tables): drop the old two."""


def migrate(cr, version):
    cr.execute(
        """
        DROP INDEX IF EXISTS spp_payment_attempt_one_paid_attempt;
        DROP INDEX IF EXISTS spp_payment_attempt_one_attempt_in_flight;
        """
    )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Members of balance programs carry their program's mode, for the CHECK that
keeps their balance from going negative. Members already paid beyond their
entitlement (two cycles spent one balance before reservations existed) keep the
flag off, so the upgrade completes, and are listed for review."""

import logging

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    cr.execute(
        """
        UPDATE spp_program_membership m SET is_balance_based = TRUE
          FROM spp_program p
         WHERE p.id = m.program_id AND p.is_balance_based AND m.balance >= 0
        """
    )
    cr.execute(
        """
        SELECT m.id FROM spp_program_membership m
          JOIN spp_program p ON p.id = m.program_id
         WHERE p.is_balance_based AND m.balance < 0
        """
    )
    overspent = [row[0] for row in cr.fetchall()]
    if overspent:
        _logger.warning(
            "%s memberships of balance programs were paid beyond their "
            "entitlement; review them (first ids: %s)",
            len(overspent),
            overspent[:20],
        )

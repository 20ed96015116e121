# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Callback secrets leave the URLs.

Until 19.0.1.1.0 the callback secret was part of the callback URL, so every
request log that printed a callback holds it. Each FSP gets a new random
secret (the logged ones are dead: the old URL route is gone, and a callback
signed with an old secret is refused) and a public callback ID for its new URL.
Callbacks already in the inbox were authenticated by their URL's secret.
Administrators must give each FSP its new callback URL and secret.
"""

import logging
import secrets

_logger = logging.getLogger(__name__)


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        "ALTER TABLE spp_fsp ADD COLUMN IF NOT EXISTS callback_public_id varchar"
    )
    cr.execute("SELECT id FROM spp_fsp WHERE callback_public_id IS NULL")
    fsp_ids = [row[0] for row in cr.fetchall()]
    for fsp_id in fsp_ids:
        cr.execute(
            "UPDATE spp_fsp SET callback_public_id = %s, callback_secret = %s "
            "WHERE id = %s",
            (secrets.token_hex(8), secrets.token_urlsafe(32), fsp_id),
        )
    _logger.info(
        "Callback secrets rotated and callback IDs set on %s FSPs: give each "
        "FSP its new callback URL and secret",
        len(fsp_ids),
    )
    cr.execute(
        "ALTER TABLE spp_payment_callback "
        "ADD COLUMN IF NOT EXISTS authenticated boolean"
    )
    cr.execute(
        "UPDATE spp_payment_callback SET authenticated = TRUE "
        "WHERE authenticated IS NULL"
    )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import importlib.util
from pathlib import Path

from .common import SppBaseCommon

SCRIPT = (
    Path(__file__).parents[1]
    / "migrations"
    / "19.0.1.1.0"
    / "pre-migrate-callback-urls.py"
)


def _migration():
    spec = importlib.util.spec_from_file_location("callback_urls_migration", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestCallbackMigration(SppBaseCommon):
    """A database from before 19.0.1.1.0: its callback secrets were in URLs,
    hence in request logs. The upgrade gives every FSP a new secret and a
    public callback ID, and keeps the inbox's callbacks as authenticated."""

    def test_upgrade_rotates_every_secret_and_sets_public_ids(self):
        fsps = self.fsp | self.env["spp.fsp"].create(
            {"name": "Second", "provider": "manual", "state": "test"}
        )
        callback = self.env["spp.payment.callback"].create(
            {"fsp_id": self.fsp.id, "payload": "{}", "state": "applied"}
        )
        self.env.flush_all()
        cr = self.env.cr
        # The 19.0.1.0.0 schema: no public id, no authenticated flag.
        cr.execute(
            "ALTER TABLE spp_fsp ALTER COLUMN callback_public_id DROP NOT NULL;"
            "UPDATE spp_fsp SET callback_public_id = NULL;"
            "ALTER TABLE spp_payment_callback DROP COLUMN authenticated"
        )
        cr.execute("SELECT id, callback_secret FROM spp_fsp")
        logged = dict(cr.fetchall())
        _migration().migrate(cr, "19.0.1.0.0")
        cr.execute("SELECT id, callback_secret, callback_public_id FROM spp_fsp")
        rows = cr.fetchall()
        self.assertEqual({r[0] for r in rows}, set(logged))
        for fsp_id, secret, public_id in rows:
            self.assertTrue(secret)
            self.assertNotEqual(secret, logged[fsp_id])
            self.assertRegex(public_id, r"^[0-9a-f]{16}$")
            self.assertNotIn(public_id, secret)
        self.assertEqual(len({r[2] for r in rows}), len(rows))
        cr.execute(
            "SELECT authenticated FROM spp_payment_callback WHERE id = %s",
            [callback.id],
        )
        self.assertIs(cr.fetchone()[0], True)
        self.assertTrue(fsps)

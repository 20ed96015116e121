# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import random
import secrets
import threading
import time
import uuid

from odoo import SUPERUSER_ID, api
from odoo.exceptions import UserError
from odoo.orm.environments import Transaction
from odoo.tests import TransactionCase
from odoo.tools import SQL

from odoo.addons.spp_payment_base.tools import guarded_write
from odoo.addons.spp_payroll.tests.common import SppConnectorCommon

THREADS = 50
STEP = 10


class TestConcurrency(TransactionCase):
    """50 tills redeem the same voucher at the same moment, each with its own
    connection and transaction, as 50 requests would. A plain TransactionCase:
    a fixture written in the test's own (never committed) transaction would
    hold locks the committed world's inserts wait for."""

    def _committed_voucher(self):
        """A voucher of 100.00 and an approved merchant, committed (the test's
        own transaction is invisible to other connections), removed after."""
        tag = secrets.token_hex(4)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
            program = env["spp.program"].create(
                {"name": "Race", "code": f"RACE-{tag}", "target_type": "household"}
            )
            SppConnectorCommon._mark_approved(program)
            cycle = env["spp.payment.cycle"].create(
                {
                    "name": f"race-{tag}",
                    "program_id": program.id,
                    "date_start": "2026-12-01",
                    "date_end": "2026-12-31",
                    "fixed_amount": 100.0,
                }
            )
            SppConnectorCommon._mark_approved(cycle)
            payroll = env["spp.payroll"].create(
                {"name": f"Race {tag}", "cycle_id": cycle.id, "kind": "voucher"}
            )
            partner = env["res.partner"].create(
                {
                    "name": "Race household",
                    "is_registrant": True,
                    "registrant_type": "household",
                    "registrant_number": f"RACE-{tag}",
                }
            )
            member = env["spp.program.membership"].create(
                {
                    "program_id": program.id,
                    "partner_id": partner.id,
                    "channel": "voucher",
                }
            )
            with guarded_write("payroll_payments"):
                payment = env["spp.payment"].create(
                    {
                        "program_id": program.id,
                        "membership_id": member.id,
                        "partner_id": partner.id,
                        "amount": 100.0,
                        "channel": "voucher",
                        "payroll_id": payroll.id,
                        "cycle_id": cycle.id,
                    }
                )
            payment._set_approved()
            env["spp.voucher"]._spp_generate(payroll)
            voucher = env["spp.voucher"].search([("payment_id", "=", payment.id)])
            shop = env["res.partner"].create({"name": f"Race shop {tag}"})
            merchant = env["spp.merchant"].create({"partner_id": shop.id})
            SppConnectorCommon._mark_approved(merchant)
            world = {
                "voucher": voucher.id,
                "token": voucher._spp_token(),
                "merchant": merchant.id,
                "payment": payment.id,
                "payroll": payroll.id,
                "cycle": cycle.id,
                "program": program.id,
                "partners": [partner.id, shop.id],
            }
        self.addCleanup(self._remove, world)
        return world

    def _remove(self, world):
        statements = [
            ("DELETE FROM spp_voucher_redemption WHERE voucher_id = %s", "voucher"),
            ("DELETE FROM spp_voucher WHERE id = %s", "voucher"),
            ("DELETE FROM spp_voucher_key WHERE program_id = %s", "program"),
            ("DELETE FROM spp_merchant WHERE id = %s", "merchant"),
            ("DELETE FROM spp_payment_event WHERE payment_id = %s", "payment"),
            ("DELETE FROM spp_payment WHERE id = %s", "payment"),
            ("DELETE FROM spp_payroll WHERE id = %s", "payroll"),
            ("DELETE FROM spp_payment_cycle WHERE id = %s", "cycle"),
            ("DELETE FROM spp_program_membership WHERE program_id = %s", "program"),
            ("DELETE FROM spp_program WHERE id = %s", "program"),
            ("DELETE FROM res_partner WHERE id = ANY(%s)", "partners"),
        ]
        with self.registry.cursor() as cr:
            for query, key in statements:
                cr.execute(SQL(query, world[key]))

    def test_fifty_tills_one_voucher(self):
        world = self._committed_voucher()
        start = threading.Barrier(THREADS)
        # ("redeemed", amount) | ("refused", message) | ("escaped", error)
        outcomes = []
        busy = []

        def till():
            start.wait()
            txn = str(uuid.uuid4())
            # A cashier told "being redeemed elsewhere" presses again.
            for _attempt in range(200):
                try:
                    with self.registry.cursor() as cr:
                        # Given its registry: looking it up takes the registry
                        # lock, which the test runner holds.
                        cr.transaction = Transaction(self.registry)
                        env = api.Environment(cr, SUPERUSER_ID, {})
                        redemption = env["spp.voucher"]._spp_redeem(
                            world["token"],
                            STEP,
                            txn,
                            env["spp.merchant"].browse(world["merchant"]),
                        )
                        amount = redemption.amount
                    outcomes.append(("redeemed", amount))
                    return
                except UserError as error:
                    if "elsewhere right now" in str(error):
                        busy.append(1)
                        time.sleep(random.uniform(0.001, 0.02))
                        continue
                    outcomes.append(("refused", str(error)))
                    return
                except Exception as error:  # noqa: BLE001 - what the test looks for
                    outcomes.append(("escaped", repr(error)))
                    return
            outcomes.append(("escaped", "still busy after 200 tries"))

        threads = [threading.Thread(target=till) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        self.assertEqual([o for o in outcomes if o[0] == "escaped"], [])
        self.assertEqual(len(outcomes), THREADS)
        redeemed = [o[1] for o in outcomes if o[0] == "redeemed"]
        refused = [o[1] for o in outcomes if o[0] == "refused"]
        self.assertEqual(len(redeemed), 100 // STEP)
        self.assertEqual(sum(redeemed), 100)
        self.assertEqual(len(refused), THREADS - 100 // STEP)
        for message in refused:
            # Spent: the voucher is redeemed (or, with a partial step, short).
            self.assertRegex(message, r"is Redeemed\.|available; .* is refused")
        with self.registry.cursor() as cr:
            cr.execute(
                SQL(
                    "SELECT balance, state, (SELECT COUNT(*) "
                    "FROM spp_voucher_redemption "
                    "WHERE voucher_id = v.id) FROM spp_voucher v WHERE id = %s",
                    world["voucher"],
                )
            )
            self.assertEqual(cr.fetchone(), (0, "redeemed", 100 // STEP))

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError

from .common import SppBaseCommon


class TestPaymentReferences(SppBaseCommon):
    """Columns stored without a foreign key still protect what they point to."""

    def test_what_payments_point_to_cannot_be_deleted(self):
        self._create_payment()
        for record in (self.household, self.fsp, self.program):
            with self.subTest(model=record._name):
                with self.assertRaisesRegex(UserError, "payments refer to it"):
                    record.unlink()

    def test_payment_author_cannot_be_deleted(self):
        payment = self._create_payment()
        payment.sudo().write({"note": "seen"})
        author = self.users["admin"]
        payment.with_user(author).write({"note": "checked"})
        with self.assertRaisesRegex(UserError, "payments refer to it"):
            author.unlink()

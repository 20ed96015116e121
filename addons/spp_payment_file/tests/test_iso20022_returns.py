# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.exceptions import UserError

from .common import SppFileCommon


def _pain002(transactions):
    items = "".join(
        f"<TxInfAndSts><OrgnlEndToEndId>{ref}</OrgnlEndToEndId><TxSts>{status}</TxSts>"
        + (f"<StsRsnInf><Rsn><Cd>{code}</Cd></Rsn></StsRsnInf>" if code else "")
        + "</TxInfAndSts>"
        for ref, status, code in transactions
    )
    return (
        '<?xml version="1.0"?><Document '
        'xmlns="urn:iso:std:iso:20022:tech:xsd:pain.002.001.03"><CstmrPmtStsRpt>'
        "<GrpHdr><MsgId>BANK-1</MsgId></GrpHdr><OrgnlGrpInfAndSts><OrgnlMsgId>X"
        "</OrgnlMsgId><OrgnlMsgNmId>pain.001.001.03</OrgnlMsgNmId></OrgnlGrpInfAndSts>"
        f"<OrgnlPmtInfAndSts><OrgnlPmtInfId>X</OrgnlPmtInfId>{items}"
        "</OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )


def _camt054(entries):
    body = "".join(
        f'<Ntry><Amt Ccy="KES">{amount}</Amt><CdtDbtInd>{side}</CdtDbtInd>'
        "<Sts>BOOK</Sts><BookgDt><Dt>2026-11-20</Dt></BookgDt><NtryDtls><TxDtls>"
        f"<Refs><EndToEndId>{ref}</EndToEndId></Refs>"
        + (f"<RtrInf><Rsn><Cd>{code}</Cd></Rsn></RtrInf>" if code else "")
        + "</TxDtls></NtryDtls></Ntry>"
        for ref, amount, side, code in entries
    )
    return (
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02">'
        "<BkToCstmrDbtCdtNtfctn><GrpHdr><MsgId>N-1</MsgId></GrpHdr>"
        f"<Ntfctn>{body}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>"
    )


class TestIso20022Returns(SppFileCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payroll, _jobs = cls._executed_payroll(cls)
        cls.pay = [
            cls.payroll.payment_ids.filtered(lambda p, h=h: p.partner_id == h)
            for h in cls.households
        ]

    def test_pain002_rejections_and_deceased_flag(self):
        a, b, c, _d, _e = self.pay
        batch = self._import(
            self.payroll,
            _pain002(
                [
                    (a.reference, "ACSC", None),
                    (b.reference, "RJCT", "AM04"),
                    (c.reference, "RJCT", "MD07"),
                ]
            ),
            name="status.xml",
        )
        self.assertEqual(batch.line_count, 3)
        self.assertFalse(c.partner_id.spp_reported_deceased)
        batch.with_user(self.manager).action_approve()
        self.assertEqual((a.state, b.state, c.state), ("paid", "failed", "rejected"))
        self.assertIn("MD07", c.status_reason)
        self.assertTrue(c.partner_id.spp_reported_deceased)
        self.assertFalse(a.partner_id.spp_reported_deceased)

    def test_camt054_books_and_returns(self):
        a, b, _c, _d, _e = self.pay
        batch = self._import(
            self.payroll,
            _camt054([(a.reference, a.amount, "DBIT", None)]),
            name="booked.xml",
        )
        batch.with_user(self.manager).action_approve()
        self.assertEqual(a.state, "paid")
        member = a.membership_id
        paid_total = member.paid_total
        returns = self._import(
            self.payroll,
            _camt054(
                [
                    (a.reference, a.amount, "CRDT", "AC04"),
                    (b.reference, b.amount, "CRDT", "AC01"),
                ]
            ),
            name="returns.xml",
        )
        returns.with_user(self.manager).action_approve()
        self.assertEqual(a.state, "reversed")
        # Returned before we knew it was paid: simply failed.
        self.assertEqual(b.state, "failed")
        member.invalidate_recordset()
        self.assertAlmostEqual(paid_total - member.paid_total, a.amount, 2)

    def test_unknown_end_to_end_id_is_reported(self):
        wizard = self._wizard(
            self.payroll, _pain002([("PAY-NOT-OURS", "ACSC", None)]), "status.xml"
        )
        wizard.action_check()
        self.assertEqual(wizard.error_count, 1)
        self.assertIn("unknown end-to-end id", wizard.result_html)
        with self.assertRaises(UserError):
            wizard.action_import()

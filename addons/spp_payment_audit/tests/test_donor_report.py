# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from collections import defaultdict
from decimal import Decimal

from .common import SppAuditCommon


class TestDonorReport(SppAuditCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        north, south = cls.env["spp.area"].create(
            [{"name": "North"}, {"name": "South"}]
        )
        cls.households[:3].area_id = north
        cls.households[3:4].area_id = south  # HH-0005: no area

    def _wizard(self, user="viewer", **vals):
        vals = vals or {"scope": "payroll", "payroll_id": self.payroll.id}
        return (
            self.env["spp.payment.donor.report"]
            .with_user(self.users[user])
            .create(vals)
        )

    def _expected(self, key):
        """The figures computed again, payment by payment, through the ORM."""
        lines = defaultdict(lambda: [0, Decimal(0), 0, Decimal(0)])
        for payment in self.payments:
            line = lines[key(payment)]
            line[0] += 1
            line[1] += Decimal(str(payment.amount))
            if payment.state == "paid":
                line[2] += 1
                line[3] += Decimal(str(payment.paid_amount))
        return {label: tuple(values) for label, values in lines.items()}

    @staticmethod
    def _as_dict(lines):
        return {
            line["label"]: (
                line["count"],
                line["amount"],
                line["paid_count"],
                line["paid_amount"],
            )
            for line in lines
        }

    def test_figures_by_state_fsp_channel_and_area(self):
        figures = self._wizard()._spp_figures()
        state = dict(
            self.env["spp.payment"]._fields["state"]._description_selection(self.env)
        )
        channel = dict(
            self.env["spp.payment"]._fields["channel"]._description_selection(self.env)
        )
        self.assertEqual(
            self._as_dict(figures["state"]), self._expected(lambda p: state[p.state])
        )
        self.assertEqual(
            self._as_dict(figures["fsp"]),
            self._expected(lambda p: p.fsp_id.name or "(none)"),
        )
        self.assertEqual(
            self._as_dict(figures["channel"]),
            self._expected(lambda p: channel[p.channel]),
        )
        self.assertEqual(
            self._as_dict(figures["area"]),
            self._expected(lambda p: p.partner_id.area_id.complete_name or "(none)"),
        )
        total = figures["total"]
        self.assertEqual(total["count"], len(self.payments))
        self.assertEqual(total["paid_count"], 2)
        self.assertEqual(
            total["amount"], sum(Decimal(str(p.amount)) for p in self.payments)
        )
        self.assertEqual(self._as_dict(figures["state"])["Paid"][2], 2)
        self.assertEqual(
            set(self._as_dict(figures["area"])), {"North", "South", "(none)"}
        )

    def test_figures_for_clients_are_read_only_and_exact(self):
        """get_figures (what a client calls on the read replica) gives the
        report's figures, amounts as exact text, and writes nothing."""
        wizard = self._wizard()
        self.assertTrue(type(wizard).get_figures._readonly)
        expected = wizard._spp_figures()
        # In a read-only (sub)transaction, as on a standby: any write raises.
        self.env.flush_all()
        self.env.cr.execute("SAVEPOINT spp_read_only")
        self.env.cr.execute("SET LOCAL transaction_read_only = on")
        figures = wizard.get_figures()
        self.env.flush_all()
        self.env.cr.execute("ROLLBACK TO SAVEPOINT spp_read_only")
        total = expected["total"]
        self.assertEqual(
            figures["total"],
            dict(
                total,
                amount=str(total["amount"]),
                paid_amount=str(total["paid_amount"]),
            ),
        )
        self.assertEqual(
            [(line["label"], Decimal(line["amount"])) for line in figures["state"]],
            [(line["label"], line["amount"]) for line in expected["state"]],
        )

    def test_program_period_scope(self):
        wizard = self._wizard(
            scope="period",
            program_id=self.program.id,
            date_from="2026-11-01",
            date_to="2026-11-30",
        )
        self.assertEqual(wizard._spp_figures()["total"]["count"], len(self.payments))
        empty = self._wizard(
            scope="period",
            program_id=self.program.id,
            date_from="2027-01-01",
            date_to="2027-01-31",
        )
        self.assertEqual(empty._spp_figures()["total"]["count"], 0)

    def test_xlsx_and_pdf_carry_the_figures(self):
        wizard = self._wizard()
        action = wizard.action_download_xlsx()
        attachment = self.env["ir.attachment"].browse(
            int(action["url"].split("/web/content/")[1].split("?")[0])
        )
        rows = self._sheets(attachment)["Donor report"]
        by_label = {row[0]: row[1:5] for row in rows if row and row[1] is not None}
        figures = wizard._spp_figures()
        for line in figures["state"] + figures["area"] + [figures["total"]]:
            self.assertEqual(
                by_label[line["label"]],
                (
                    line["count"],
                    float(line["amount"]),
                    line["paid_count"],
                    float(line["paid_amount"]),
                ),
            )
        html, _kind = self.env["ir.actions.report"]._render_qweb_html(
            "spp_payment_audit.report_spp_donor", wizard.ids
        )
        text = html.decode()
        self.assertIn("Donor report", text)
        self.assertIn("Audit Payroll", text)
        self.assertEqual(text.count("o_spp_donor_state"), len(figures["state"]))
        self.assertEqual(text.count("o_spp_donor_area"), 3)
        for label in ("North", "South", "Paid", "Manual Bank"):
            self.assertIn(label, text)

    def test_report_buttons_open_the_scope(self):
        action = self.payroll.with_user(self.users["viewer"]).action_spp_donor_report()
        wizard = self.env["spp.payment.donor.report"].browse(action["res_id"])
        self.assertEqual((wizard.scope, wizard.payroll_id), ("payroll", self.payroll))
        action = self.payroll.with_user(
            self.users["finance_officer"]
        ).action_spp_audit_export()
        self.assertEqual(action["type"], "ir.actions.act_url")

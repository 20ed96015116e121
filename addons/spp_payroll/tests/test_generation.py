# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import re
from unittest.mock import patch

from spp_payment_core.tables import FORMULA_PATTERN, is_formula_like

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from .common import SppPayrollCommon


class TestGeneration(SppPayrollCommon):
    def test_references_follow_member_order(self):
        """One reference per payment, drawn from the payment sequence in the
        order of the members."""
        payroll = self._new_payroll()
        payroll.action_generate()
        payments = payroll.payment_ids.sorted(lambda p: p.membership_id.id)
        numbers = [int(re.sub(r"\D", "", p.reference)) for p in payments]
        self.assertEqual(len(set(numbers)), len(payments))
        self.assertEqual(numbers, sorted(numbers))

    def test_generation_amounts_and_summary(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        # Digital members only: the payment-point member is left out.
        self.assertEqual(payroll.payment_count, 5)
        self.assertNotIn(self.cash_member, payroll.payment_ids.membership_id)
        disabled = self._payment_of(payroll, self.households[1])
        # 50 + 15 = 65, capped to 60, plus the 0.70 fee credit outside the cap.
        self.assertEqual(disabled.amount, 60.7)
        self.assertTrue(disabled.is_capped)
        self.assertEqual(
            disabled.amount_breakdown,
            {
                "fixed": "50.00",
                "disability": "15.00",
                "fee": "0.70",
                "cap_reduction": "-5.00",
            },
        )
        other = self._payment_of(payroll, self.households[2])
        self.assertEqual(other.amount, 50.7)
        self.assertEqual(other.destination, "+254700000003")
        self.assertEqual(other.destination_type, "msisdn")
        self.assertTrue(other.reference.startswith("PAY"))
        self.assertEqual(payroll.total_amount, 60.7 + 4 * 50.7)
        self.assertEqual(payroll.capped_count, 1)
        by_component = {c["component"]: c for c in payroll.summary["by_component"]}
        self.assertEqual(by_component["fee"]["payments"], 5)
        self.assertEqual(payroll.summary["by_fsp"][0]["payments"], 5)

    def test_member_never_selected_twice_in_a_cycle(self):
        self._new_payroll().action_generate()
        with self.assertRaisesRegex(UserError, "No member matches"):
            self._new_payroll(name="Again").action_generate()

    def test_selection_filter(self):
        area = self.env["spp.area"].create({"name": "Lodwar"})
        self.households[:2].write({"area_id": area.id})
        payroll = self._new_payroll(
            member_domain=f"[('partner_id.area_id', '=', {area.id})]"
        )
        payroll.action_generate()
        self.assertEqual(payroll.payment_ids.partner_id, self.households[:2])

    def test_cap_reject_policy_flags_and_cancels_on_approval(self):
        cycle = self._create_cycle(
            name="strict",
            fixed_amount=70.0,
            has_cap=True,
            cap_amount=60.0,
            cap_policy="reject",
        )
        self._approve(cycle)
        payroll = self._new_payroll(cycle)
        payroll.action_generate()
        self.assertEqual(payroll.rejected_count, 5)
        self.assertEqual(payroll.total_amount, 0.0)
        self._approve(payroll)
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"cancelled"})

    def test_approval_selects_its_payments_in_sql(self):
        # 50 + 15 for the disabled household is over the cap of 60: rejected.
        cycle = self._approve(
            self._create_cycle(
                name="mixed",
                has_cap=True,
                cap_amount=60.0,
                cap_policy="reject",
                rule_ids=[
                    (
                        0,
                        0,
                        {
                            "name": "Disability",
                            "code": "disability",
                            "amount": 15.0,
                            "condition": "[('partner_id.has_disability', '=', True)]",
                        },
                    )
                ],
            )
        )
        payroll = self._new_payroll(cycle)
        payroll.action_generate()
        payments = payroll.payment_ids
        rejected = self._payment_of(payroll, self.households[1])
        self.assertTrue(rejected.entitlement_rejected)
        payroll.action_submit()
        self.env.invalidate_all()
        # A million payments read through the ORM ran out of memory: the
        # approval selects them in SQL and reads none of their fields.
        model = type(self.env["spp.payment"])
        with patch.object(
            model, "_fetch_query", autospec=True, side_effect=model._fetch_query
        ) as fetch:
            payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertFalse(fetch.call_count)
        self.assertEqual(rejected.state, "cancelled")
        self.assertEqual(set((payments - rejected).mapped("state")), {"approved"})

    def test_duplicate_flags_and_enforcement(self):
        self.households[3].phone_e164 = "+254700000003"  # same MSISDN as [2]
        self.households[4].national_id = "NAT-1"
        self.households[0].national_id = "NAT-1"
        payroll = self._new_payroll()
        payroll.action_generate()
        flagged = payroll.payment_ids.filtered("is_duplicate")
        self.assertEqual(
            flagged.partner_id,
            self.households[0]
            | self.households[2]
            | self.households[3]
            | self.households[4],
        )
        self.assertIn(
            "destination shared",
            self._payment_of(payroll, self.households[2]).duplicate_reason,
        )
        self.assertIn(
            "national ID",
            self._payment_of(payroll, self.households[0]).duplicate_reason,
        )
        # Enforced: flagged payments leave the payroll, cancelled, in their report.
        enforced_cycle = self._approve(self._create_cycle(name="enforced"))
        enforced = self._new_payroll(enforced_cycle, enforce_duplicates=True)
        enforced.action_generate()
        self.assertEqual(enforced.payment_ids.partner_id, self.households[1])
        self.assertEqual(len(enforced.excluded_payment_ids), 4)
        self.assertEqual(
            set(enforced.excluded_payment_ids.mapped("state")), {"cancelled"}
        )

    def test_dry_run_writes_nothing_and_measures_variance(self):
        self._approved_payroll()
        cycle2 = self._approve(
            self._create_cycle(
                name="2026-12",
                date_start="2026-12-01",
                date_end="2026-12-31",
                fixed_amount=80.0,
            )
        )
        self.members[4].state = "suspended"
        self.households[3].phone_e164 = "+254711111111"
        newcomer = self._create_household("HH-NEW")
        self.env["spp.program.membership"].create(
            {
                "program_id": self.program.id,
                "partner_id": newcomer.id,
                "fsp_id": self.fsp.id,
            }
        )
        payroll = self._new_payroll(cycle2)
        preview = payroll.action_preview()
        self.assertFalse(payroll.payment_ids)
        self.assertEqual(preview["payments"], 5)
        self.assertEqual(preview["amount"], "400.00")
        variance = preview["variance"]
        self.assertEqual(variance["new"], 1)
        self.assertEqual(variance["dropped"], 1)
        self.assertEqual(variance["destination_changed"], 1)
        self.assertEqual(variance["samples"]["new"], ["HH-NEW"])
        self.assertEqual(variance["samples"]["destination_changed"], ["HH-0004"])
        # 80 against 50.70 or 60.70: above the 20 % threshold for all four.
        self.assertEqual(variance["amount_changed"], 4)
        self.assertIn("HH-NEW", payroll.preview_html)

    def test_remove_payment_in_draft_then_locked(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        victim = payroll.payment_ids[0]
        victim.with_user(self.users["program_officer"]).action_remove_from_payroll()
        self.assertFalse(victim.exists())
        self.assertEqual(payroll.payment_count, 4)
        payroll.with_user(self.users["program_officer"]).action_submit()
        payment = payroll.payment_ids[0]
        with self.assertRaisesRegex(UserError, "payments are locked"):
            payment.with_user(
                self.users["program_officer"]
            ).action_remove_from_payroll()
        with self.assertRaisesRegex(UserError, "payments are locked"):
            payment.with_user(self.users["program_officer"]).write({"amount": 1.0})
        self.assertEqual(payroll.payment_count, 4)

    def test_segregation_of_duties_and_lock_on_approval(self):
        payroll = self._new_payroll()
        with self.assertRaisesRegex(UserError, "Generate the payments"):
            payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        with self.assertRaisesRegex(AccessError, "Segregation of duties"):
            payroll.with_user(self.users["program_officer"]).action_approve()
        with self.assertRaises(AccessError):
            payroll.with_user(self.users["finance_officer"]).action_approve()
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"approved"})
        with self.assertRaisesRegex(UserError, "no longer drafts"):
            payroll.payment_ids[0].with_user(self.users["admin"]).write({"amount": 9.0})
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            payroll.with_user(self.users["admin"]).write({"member_domain": "[]"})

    def test_rejected_payroll_returns_to_draft_unchanged(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()
        payroll.with_user(self.users["finance_manager"]).action_reject("Wrong area")
        self.assertEqual(payroll.approval_state, "draft")
        self.assertEqual(set(payroll.payment_ids.mapped("state")), {"draft"})
        self.assertEqual(payroll.payment_count, 5)


class TestExports(SppPayrollCommon):
    def test_csv_has_every_payment_and_no_formula_cells(self):
        self.households[2].name = '=HYPERLINK("http://x")'
        payroll = self._approved_payroll()
        action = payroll.with_user(self.users["viewer"]).action_download_csv()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        data = self.env["ir.attachment"].browse(attachment_id).raw.decode()
        lines = data.strip().splitlines()
        self.assertEqual(len(lines), 1 + 5)
        self.assertTrue(lines[0].startswith("reference,registrant_id,beneficiary"))
        self.assertIn("'=HYPERLINK", data)
        self.assertNotIn(",=HYPERLINK", data)
        self.assertIn("60.70", data)

    def test_csv_escapes_with_the_core_rule_only(self):
        """The SQL export and spp_payment_core.tables agree cell by cell: a phone
        number (+254...) or a negative amount stays as the bank needs it."""
        samples = [
            "=1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "+cmd|' /C calc'!A0",
            "-2+3",
            "+254700000001",
            "-5",
            "+5\n",
            "12.50",
            "Ann",
            "",
        ]
        self.env.cr.execute(
            "SELECT s, s ~ %s FROM unnest(%s::text[]) s", [FORMULA_PATTERN, samples]
        )
        self.assertEqual(
            dict(self.env.cr.fetchall()), {s: is_formula_like(s) for s in samples}
        )
        payroll = self._approved_payroll()
        action = payroll.with_user(self.users["viewer"]).action_download_csv()
        attachment_id = int(action["url"].split("/")[3].split("?")[0])
        data = self.env["ir.attachment"].browse(attachment_id).raw.decode()
        self.assertIn(",+254700000003,", data)
        self.assertNotIn("'+254", data)

    def test_references_formatted_by_the_payment_sequence(self):
        sequence = self.env.ref("spp_payment_base.seq_spp_payment")
        sequence.write({"prefix": "PAY/%(year)s/", "suffix": "-K", "padding": 4})
        payroll = self._new_payroll()
        payroll.action_generate()
        year = fields.Date.today().year
        self.assertTrue(
            all(
                re.fullmatch(rf"PAY/{year}/\d{{4,}}-K", ref)
                for ref in payroll.payment_ids.mapped("reference")
            ),
            payroll.payment_ids.mapped("reference"),
        )
        # Past the padding a number widens, as next_by_code's does.
        sequence.number_next = 123456
        self.assertEqual(
            self.env["ir.sequence"].next_by_code("spp.payment"), f"PAY/{year}/123456-K"
        )
        self.env.cr.execute(
            SQL("SELECT %s", self.env["spp.payment"]._spp_reference_sql())
        )
        self.assertEqual(self.env.cr.fetchone()[0], f"PAY/{year}/123457-K")

    def test_pdf_report_renders_summary_and_lines(self):
        payroll = self._approved_payroll()
        html, _format = self.env["ir.actions.report"]._render_qweb_html(
            "spp_payroll.report_spp_payroll", payroll.ids
        )
        html = html.decode()
        self.assertIn(payroll.name, html)
        self.assertIn("HH-0003", html)
        self.assertIn("Manual Bank", html)
        self.assertNotIn("Not approved", html)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.spp_payroll.tests.common import SppPayrollCommon


class DashboardCommon(SppPayrollCommon):
    """Payments of one cycle in every bucket, through two FSPs."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Dashboard = cls.env["spp.payment.dashboard"]
        cls.fsp2 = cls.env["spp.fsp"].create(
            {"name": "Mobile Wallet", "provider": "manual", "state": "enabled"}
        )
        # (state, amount, fsp, channel): the figures below follow from this table.
        cls.rows = [
            ("paid", 10.10, cls.fsp, "digital"),
            ("paid", 20.20, cls.fsp, "digital"),
            ("paid", 5.00, cls.fsp2, "digital"),
            ("failed", 7.00, cls.fsp, "digital"),
            ("rejected", 3.00, cls.fsp2, "digital"),
            ("unknown", 4.00, cls.fsp2, "digital"),
            ("sent", 6.00, cls.fsp, "payment_point"),
            ("draft", 100.00, cls.fsp, "digital"),
        ]
        cls.payments = cls.env["spp.payment"]
        for state, amount, fsp, channel in cls.rows:
            payment = cls._create_payment(amount, fsp_id=fsp.id, channel=channel)
            cls.payments |= payment
            cls._force(payment, state=state, cycle_id=cls.cycle.id)

    @classmethod
    def _force(cls, payment, **columns):
        """Fixture state written in SQL: the transitions have their own tests;
        here only the figures over given states matter."""
        payment.flush_recordset()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value)
            for name, value in columns.items()
        )
        cls.env.cr.execute(
            SQL("UPDATE spp_payment SET %s WHERE id = %s", assignments, payment.id)
        )
        payment.invalidate_recordset()


@tagged("post_install", "-at_install")
class TestDashboard(DashboardCommon):
    def _data(self, user="viewer", **filters):
        return self.Dashboard.with_user(self.users[user]).get_dashboard_data(filters)

    def _card(self, data, key):
        (card,) = [c for c in data["amounts"] if c["key"] == key]
        return card

    def _count_of(self, action, user="viewer"):
        """What the list opened from a figure shows, counted as that list would."""
        return (
            self.env[action["res_model"]]
            .with_user(self.users[user])
            .search_count(action["domain"])
        )

    def test_amount_cards_fold_states_into_buckets_exactly(self):
        data = self._data()
        paid = self._card(data, "paid")
        self.assertEqual(paid["count"], 3)
        self.assertEqual(self.currency.compare_amounts(paid["amount"], 35.30), 0)
        failed = self._card(data, "failed")
        self.assertEqual(failed["count"], 2)  # failed + rejected
        self.assertEqual(self._card(data, "unknown")["count"], 1)
        self.assertEqual(self._card(data, "pending")["count"], 1)
        issued = self._card(data, "issued")
        self.assertEqual(issued["count"], 7)  # every payment but the draft
        self.assertEqual(self.currency.compare_amounts(issued["amount"], 55.30), 0)
        self.assertIn(self.currency.symbol, issued["amount_display"])

    def test_each_figure_opens_the_list_it_counted(self):
        data = self._data()
        for card in data["amounts"]:
            self.assertEqual(self._count_of(card["action"]), card["count"], card["key"])
        for row in data["fsp_rates"]:
            counted = row["paid"] + row["failed"] + row["unknown"] + row["pending"]
            opened = self.env["spp.payment"].search_count(
                row["action"]["domain"] + [("state", "not in", ("draft", "cancelled"))]
            )
            self.assertEqual(opened, counted, row["name"])
        for row in data["payrolls"]:
            self.assertEqual(self._count_of(row["action"]), row["count"], row["key"])

    def test_success_rate_by_fsp_leaves_unknown_out_of_the_rate(self):
        rates = {row["fsp_id"]: row for row in self._data()["fsp_rates"]}
        bank = rates[self.fsp.id]
        self.assertEqual((bank["paid"], bank["failed"], bank["pending"]), (2, 1, 1))
        self.assertEqual(bank["rate"], 66.7)
        wallet = rates[self.fsp2.id]
        self.assertEqual(
            (wallet["paid"], wallet["failed"], wallet["unknown"]), (1, 1, 1)
        )
        self.assertEqual(wallet["rate"], 50.0)

    def test_filters_narrow_every_figure(self):
        data = self._data(fsp_id=self.fsp2.id)
        self.assertEqual(self._card(data, "issued")["count"], 3)
        self.assertEqual([r["fsp_id"] for r in data["fsp_rates"]], [self.fsp2.id])
        data = self._data(channel="payment_point")
        self.assertEqual(self._card(data, "issued")["count"], 1)
        self.assertEqual(self._card(data, "paid")["count"], 0)
        other = self.env["spp.program"].create({"name": "Other", "code": "OT"})
        self.assertEqual(self._data(program_id=other.id)["amounts"], [])
        tomorrow = fields.Date.today() + timedelta(days=1)
        self.assertEqual(self._data(date_from=str(tomorrow))["amounts"], [])
        area = self.env["spp.area"].create({"name": "North", "code": "N"})
        self.households[1].area_id = area
        self.assertEqual(self._data(area_id=area.id)["amounts"], [])
        self.payments[0].partner_id.area_id = area
        self.assertEqual(self._card(self._data(area_id=area.id), "issued")["count"], 7)

    def test_bad_filters_are_refused_by_name(self):
        cases = [
            ({"fsp_id": "1 OR 1=1"}, "fsp_id"),
            ({"fsp_id": 999999}, "fsp_id"),
            ({"channel": "cash"}, "cash"),
            ({"date_from": "yesterday"}, "date_from"),
            ({"owner": 1}, "owner"),
        ]
        for filters, named in cases:
            with self.assertRaisesRegex(UserError, named):
                self.Dashboard.with_user(self.users["viewer"]).get_dashboard_data(
                    filters
                )

    def test_only_spp_users_read_the_dashboard(self):
        outsider = new_test_user(self.env, login="outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.Dashboard.with_user(outsider).get_dashboard_data({})

    def test_alerts_count_suspected_doubles_and_stale_payments(self):
        alerts = {a["key"]: a for a in self._data()["alerts"]}
        self.assertEqual(alerts["suspected_double"]["count"], 0)
        self.assertEqual(alerts["stale"]["count"], 0)
        sent, unknown = self.payments.filtered(lambda p: p.state in ("sent", "unknown"))
        self._force(unknown, is_suspected_double=True)
        # The sent payment's attempt went out two hours ago; its FSP is asked
        # for a status after 30 minutes: the status cron should be chasing it.
        attempt = self.env["spp.payment.attempt"].create(
            {
                "payment_id": sent.id,
                "attempt_no": 1,
                "idempotency_key": "dash-stale-1",
                "fsp_id": self.fsp.id,
                "state": "sent",
            }
        )
        self._force(sent, current_attempt_id=attempt.id)
        self.fsp.status_query_after_minutes = 30
        alerts = {a["key"]: a for a in self._data()["alerts"]}
        self.assertEqual(alerts["stale"]["count"], 0)  # sent just now
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE spp_payment_attempt SET write_date = now() - interval '2 hours'"
            " WHERE id = %s",
            [attempt.id],
        )
        self.env.invalidate_all()
        alerts = {a["key"]: a for a in self._data()["alerts"]}
        self.assertEqual(alerts["suspected_double"]["count"], 1)
        self.assertEqual(alerts["stale"]["count"], 1)
        stale = self.env["spp.payment"].search(alerts["stale"]["action"]["domain"])
        self.assertEqual(stale, sent)
        # The status cron agrees on what is stale.
        self.assertEqual(self.fsp._spp_stale_payments(), sent)

    def test_awaiting_my_approval_follows_the_approve_button(self):
        payroll = self._new_payroll()
        payroll.action_generate()
        payroll.with_user(self.users["program_officer"]).action_submit()

        def queue(user):
            rows = self._data(user)["to_approve"]
            return {r["model"]: r for r in rows}

        # The maker who submitted it is not asked to approve it.
        self.assertNotIn("spp.payroll", queue("program_officer"))
        # A viewer cannot approve: nothing waits for them.
        self.assertNotIn("spp.payroll", queue("viewer"))
        row = queue("finance_manager")["spp.payroll"]
        self.assertEqual(row["count"], 1)
        self.assertEqual(
            self.env["spp.payroll"].search(row["action"]["domain"]), payroll
        )
        payroll.with_user(self.users["finance_manager"]).action_approve()
        self.assertNotIn("spp.payroll", queue("finance_manager"))

    def test_trend_per_cycle(self):
        (row,) = self._data()["trend"]
        self.assertEqual(row["cycle_id"], self.cycle.id)
        self.assertAlmostEqual(row["paid"], 35.30, places=2)
        self.assertAlmostEqual(row["failed"], 10.00, places=2)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.spp_payment_base.tests.browser import start_tour_with_screenshot

from .test_dashboard import DashboardCommon


@tagged("post_install", "-at_install")
class TestDashboardTour(DashboardCommon, HttpCase):
    """A finance manager logs in, lands on the dashboard, reads the paid figure
    and opens the payments it counted."""

    def test_manager_lands_on_the_dashboard_and_opens_a_figure(self):
        start_tour_with_screenshot(
            self,
            "/odoo",
            "spp_payment_dashboard_tour",
            "spp_finance_manager",
            "spp_payment_dashboard",
        )

    def _home_action_of(self, login):
        self.authenticate(login, login)
        info = self.make_jsonrpc_request("/web/session/get_session_info")
        return info["home_action_id"]

    def test_spp_users_land_on_the_dashboard_unless_they_chose_a_home(self):
        action = self.env.ref("spp_payment_dashboard.action_spp_payment_dashboard")
        self.assertEqual(self._home_action_of("spp_viewer"), action.id)
        new_test_user(self.env, login="outsider", groups="base.group_user")
        self.assertFalse(self._home_action_of("outsider"))
        own = self.env.ref("spp_payment_base.action_spp_fsp")
        self.users["viewer"].action_id = own.id
        self.assertEqual(self._home_action_of("spp_viewer"), own.id)

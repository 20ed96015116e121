# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from markupsafe import Markup, escape

from odoo import http
from odoo.http import request

from ..models.spp_demo_whatsapp import PATH

# The inbox shows the voucher codes the messages carry: who may send vouchers
# (and so read their codes) may read it.
SENDER = "spp_payment_base.group_spp_finance_officer"


class SimulatedWhatsApp(http.Controller):
    """The demo's WhatsApp Cloud API (see spp.demo.whatsapp), answering while
    a provider points at it; and the simulated phones' inbox."""

    @http.route(
        f"{PATH}/<path:subpath>",
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def answer(self, subpath, **_params):
        simulator = request.env["spp.demo.whatsapp"].sudo()._simulator()
        if simulator is None:
            return request.make_response("no simulated WhatsApp", status=404)
        http_request = request.httprequest
        headers = {k.lower(): v for k, v in http_request.headers.items()}
        status, answer = simulator.answer(
            http_request.method, "/" + subpath, headers, http_request.get_data()
        )
        return request.make_response(
            json.dumps(answer),
            headers=[("Content-Type", "application/json")],
            status=status,
        )

    @http.route("/spp_voucher_demo/whatsapp_inbox", type="http", auth="user")
    def inbox(self):
        if not request.env.user.has_group(SENDER):
            return request.make_response("Finance officers only.", status=403)
        messages = request.env["spp.demo.whatsapp"].sudo()._inbox()
        rows = Markup("").join(
            Markup("<tr><td>+%s</td><td>%s</td></tr>")
            % (escape(m["to"]), escape(m["text"]))
            for m in messages
        )
        page = Markup(
            "<!DOCTYPE html><html><head><meta charset='utf-8'/>"
            "<title>Simulated WhatsApp</title></head><body>"
            "<h1>Simulated WhatsApp: %s messages received</h1>"
            "<p>Statuses (sent, delivered) reach Odoo within a minute.</p>"
            "<table border='1' cellpadding='4'><tr><th>To</th><th>Message</th></tr>"
            "%s</table></body></html>"
        ) % (len(messages), rows)
        return request.make_response(
            str(page), headers=[("Content-Type", "text/html; charset=utf-8")]
        )

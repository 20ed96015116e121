# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from odoo import http
from odoo.http import request


class SppCallbackController(http.Controller):
    """One URL per FSP: /spp_payment/callback/<provider>/<secret>[/<kind>]. The
    secret authenticates the FSP (compared in constant time); every callback is
    recorded, and a refused one changes nothing."""

    @http.route(
        [
            "/spp_payment/callback/<string:provider>/<string:secret>",
            "/spp_payment/callback/<string:provider>/<string:secret>/<string:kind>",
        ],
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        readonly=False,
        save_session=False,
    )
    def receive(self, provider, secret, kind=None, **_params):
        raw = request.httprequest.get_data(cache=False)
        headers = {k.lower(): v for k, v in request.httprequest.headers.items()}
        if kind:
            headers["x-spp-callback-kind"] = kind
        status, answer = (
            request.env["spp.payment.callback"]
            .sudo()
            ._spp_receive(
                provider, secret, raw, headers, request.httprequest.remote_addr
            )
        )
        return request.make_response(
            json.dumps(answer),
            headers=[("Content-Type", "application/json")],
            status=status,
        )

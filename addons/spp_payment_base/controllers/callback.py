# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json

from spp_payment_core.callbacks import MAX_BODY
from werkzeug.exceptions import RequestEntityTooLarge

from odoo import http
from odoo.http import request

from ..models.spp_fsp_transport import CALLBACK_PATH


class SppCallbackController(http.Controller):
    """One URL per FSP: /spp_payment/fsp/<callback ID>/callback[/<kind>]. The
    URL only names the FSP (request logs print it); the FSP authenticates each
    callback by a signature (see spp.payment.callback). Every callback of a
    known FSP is recorded, and a refused one gets a 4xx and changes nothing."""

    @http.route(
        [
            f"{CALLBACK_PATH}/<string:public_id>/callback",
            f"{CALLBACK_PATH}/<string:public_id>/callback/<string:kind>",
        ],
        type="http",
        auth="none",
        # Every method reaches us, so a wrong one is refused and recorded
        # like any other bad callback instead of vanishing in the router.
        methods=None,
        csrf=False,
        readonly=False,
        save_session=False,
    )
    def receive(self, public_id, kind=None, **_params):
        http_request = request.httprequest
        status, answer = (
            request.env["spp.payment.callback"]
            .sudo()
            ._spp_receive(
                public_id,
                _read_body(http_request),
                {k.lower(): v for k, v in http_request.headers.items()},
                http_request.remote_addr,
                kind=kind,
                method=http_request.method,
                defer=True,
            )
        )
        return request.make_response(
            json.dumps(answer),
            headers=[("Content-Type", "application/json")],
            status=status,
        )


def _read_body(http_request):
    """The body, or None when it is larger than MAX_BODY (413): a huge body
    is never read into memory."""
    if (http_request.content_length or 0) > MAX_BODY:
        return None
    # A chunked body has no length: werkzeug stops reading it at the limit.
    http_request.max_content_length = MAX_BODY
    try:
        # Cached: Odoo runs a request again after a serialization failure
        # (two deliveries of one callback at once), and the stream can be
        # read once; uncached, the second try read an empty body and refused
        # a good callback as malformed.
        return http_request.get_data(cache=True)
    except RequestEntityTooLarge:
        return None

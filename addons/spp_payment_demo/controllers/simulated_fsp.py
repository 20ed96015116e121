# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from urllib.parse import urlencode

from spp_payment_core.simulators.base import Drop
from urllib3.filepost import encode_multipart_formdata

from odoo import http
from odoo.http import request

PROVIDERS = ("mpesa", "g2p_connect", "phee")


class SimulatedFsp(http.Controller):
    """The demo's FSPs, answering over HTTP as the real ones do (see
    spp.demo.fsp). Only this demo addon serves them."""

    @http.route(
        "/spp_payment_demo/fsp/<string:provider>/<path:subpath>",
        type="http",
        auth="none",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
    )
    def answer(self, provider, subpath, **_params):
        if provider not in PROVIDERS or not _served(provider):
            return request.make_response("no such FSP", status=404)
        http_request = request.httprequest
        path = "/" + subpath
        if http_request.query_string:
            path += "?" + http_request.query_string.decode()
        headers = {k.lower(): v for k, v in http_request.headers.items()}
        body = _raw_body(http_request, headers)
        simulator = request.env["spp.demo.fsp"].sudo()._simulator(provider)
        try:
            status, answer = simulator.answer(http_request.method, path, headers, body)
        except Drop:
            return request.make_response("", status=504)
        body = answer if isinstance(answer, bytes) else json.dumps(answer).encode()
        return request.make_response(
            body, headers=[("Content-Type", "application/json")], status=status
        )


def _raw_body(http_request, headers):
    """The request body as the FSP would read it. Odoo has parsed form bodies
    into fields by now, so those are encoded again (a multipart body gets a new
    boundary, hence a new Content-Type header)."""
    if http_request.mimetype == "application/x-www-form-urlencoded":
        return urlencode(list(http_request.form.items(multi=True))).encode()
    if http_request.mimetype == "multipart/form-data":
        fields = list(http_request.form.items(multi=True)) + [
            (name, (upload.filename, upload.read(), upload.mimetype))
            for name, upload in http_request.files.items(multi=True)
        ]
        body, headers["content-type"] = encode_multipart_formdata(fields)
        return body
    return http_request.get_data()


def _served(provider):
    """A simulator answers only while a test-mode FSP points at it: switching
    the demo FSPs to production (or removing them) takes it off the air."""
    return bool(
        request.env["spp.fsp"]
        .sudo()
        .search_count(
            [
                ("provider", "=", provider),
                ("state", "=", "test"),
                ("api_url", "like", f"/spp_payment_demo/fsp/{provider}"),
            ],
            limit=1,
        )
    )

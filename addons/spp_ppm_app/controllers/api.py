# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The PPM app's JSON-RPC API (contract: readme/DEVELOP.md).

Each route finds the caller's manager record first and refuses anyone else
with an HTTP error whose body is a JSON-RPC error, never a traceback; the
transaction is rolled back, so a refused request changes nothing."""

import json
import logging

import werkzeug.exceptions

from odoo import http
from odoo.http import request

from ..models.spp_ppm_sync import MAX_REQUEST_BYTES, PpmError

_logger = logging.getLogger(__name__)


def _fail(error):
    _logger.info("PPM API refused %s: %s", request.httprequest.path, error.message)
    body = {
        "jsonrpc": "2.0",
        "id": None,
        "error": {
            "code": error.status,
            "message": error.message,
            "data": {"name": error.code, "message": error.message},
        },
    }
    # abort() with a response bypasses the dispatcher's error handler: the
    # status is the app's to read, and the transaction rolls back.
    werkzeug.exceptions.abort(
        request.make_response(
            json.dumps(body),
            headers=[("Content-Type", "application/json")],
            status=error.status,
        )
    )


def _serve(method, *args):
    service = request.env["spp.ppm.sync"]
    try:
        manager = service._spp_manager()
        return method(service, manager, *args)
    except PpmError as error:
        _fail(error)


class PpmApi(http.Controller):
    @http.route("/ppm/api/enrol", type="jsonrpc", auth="user", methods=["POST"])
    def ppm_enrol(self, name=None, public_key=None, **_kw):
        return _serve(
            lambda s, m: s._spp_enrol(m, name, public_key),
        )

    @http.route("/ppm/api/download", type="jsonrpc", auth="user", methods=["POST"])
    def ppm_download(self, device_id=None, **_kw):
        return _serve(
            lambda s, m: s._spp_download(m, s._spp_device(m, device_id)),
        )

    @http.route(
        "/ppm/api/sync",
        type="jsonrpc",
        auth="user",
        methods=["POST"],
        max_content_length=MAX_REQUEST_BYTES,
    )
    def ppm_sync(
        self, device_id=None, batch_uuid=None, events=None, device_time=None, **_kw
    ):
        return _serve(
            lambda s, m: s._spp_sync(m, device_id, batch_uuid, events, device_time),
        )

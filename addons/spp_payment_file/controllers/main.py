# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import logging

from werkzeug.exceptions import Conflict, NotFound

from odoo import http
from odoo.exceptions import AccessError, MissingError, UserError
from odoo.http import content_disposition, request

_logger = logging.getLogger(__name__)


class SppPaymentFileController(http.Controller):
    @http.route(
        "/spp_payment_file/download/<int:file_id>",
        type="http",
        auth="user",
        methods=["GET"],
    )
    def download(self, file_id):
        """The instructions file, only while it matches its fingerprint."""
        record = request.env["spp.payment.file"].browse(file_id)
        try:
            content = record._spp_verified_content()
        except (AccessError, MissingError) as error:
            raise NotFound() from error
        except UserError as error:
            _logger.warning("Refused download of payment file %s: changed", file_id)
            raise Conflict(str(error)) from error
        return request.make_response(
            content,
            headers=[
                ("Content-Type", record.attachment_id.sudo().mimetype),
                ("Content-Disposition", content_disposition(record.name)),
                ("X-Content-SHA256", record.sha256),
            ],
        )

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import json
from urllib.parse import urlencode

from markupsafe import Markup

from odoo import http
from odoo.http import request
from odoo.tools import file_open

APP_PATH = "/ppm"
ASSETS = "spp_ppm_app.assets_ppm"
SERVICE_WORKER = "spp_ppm_app/static/src/service_worker.js"


def manifest_url():
    """The installable PWA's manifest, scoped to /ppm (web's scoped app manifest)."""
    query = urlencode({"app_id": "spp_ppm_app", "path": APP_PATH, "app_name": "PPM"})
    return f"/web/manifest.scoped_app_manifest?{query}"


class PpmApp(http.Controller):
    """The shell of the PPM field app: one page, its service worker, its manifest.
    Data only ever comes through /ppm/api/* (controllers/api.py)."""

    def _is_ppm(self):
        return request.env.user.has_group("spp_payment_point.group_spp_ppm")

    def _urls_to_cache(self):
        """What the service worker precaches so that the app opens offline: the
        page itself, the manifest and the bundle's content-hashed links (the
        point_of_sale pattern, pos.config._get_url_to_cache)."""
        debug = request.session.debug
        links = request.env["ir.qweb"]._get_asset_links(ASSETS, debug=debug)
        return [APP_PATH, manifest_url(), *links]

    @http.route(APP_PATH, type="http", auth="user", methods=["GET"], sitemap=False)
    def ppm_app(self, **kwargs):
        if not self._is_ppm():
            raise request.not_found()
        odoo_info = {
            "csrf_token": request.csrf_token(None),
            "debug": request.session.debug,
            "__session_info__": {},
            "__ppm_info__": {
                "user_name": request.env.user.name,
                "user_id": request.env.user.id,
                "urls_to_cache": self._urls_to_cache(),
                "service_worker": f"{APP_PATH}/service-worker.js",
                "scope": APP_PATH,
            },
        }
        values = {
            # Inside <script>: no "</script>" can come out of a user's name.
            "odoo_info": Markup(json.dumps(odoo_info).replace("<", "\\u003c")),
            "manifest_url": manifest_url(),
        }
        response = request.render("spp_ppm_app.ppm_index", values)
        response.headers["Cache-Control"] = "no-store"
        return response

    @http.route(
        f"{APP_PATH}/service-worker.js",
        type="http",
        auth="user",
        methods=["GET"],
        sitemap=False,
    )
    def ppm_service_worker(self):
        if not self._is_ppm():
            raise request.not_found()
        with file_open(SERVICE_WORKER) as worker:
            body = worker.read()
        return request.make_response(
            body,
            [
                ("Content-Type", "text/javascript"),
                ("Service-Worker-Allowed", APP_PATH),
                ("Cache-Control", "no-cache"),
            ],
        )

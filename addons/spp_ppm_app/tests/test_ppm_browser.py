# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The PPM app in a real Chromium driven by Playwright: served at /ppm, it
opens offline from its own service worker, and pays offline what it
downloaded, then syncs. Playwright and Debian's chromium are installed by
the project's setup; without them this test fails (it never skips)."""

import io
import logging
import resource
import shutil
from contextlib import contextmanager

from PIL import Image

from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, save_test_file

_logger = logging.getLogger(__name__)

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 60000


def chromium_path():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        raise AssertionError("chromium is missing: setup/test installs it (Debian)")
    return path


def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright as start  # noqa: PLC0415
    except ImportError as error:
        raise AssertionError(
            "playwright is missing: setup/test installs it (test-requirements.txt)"
        ) from error
    return start()


@contextmanager
def address_space_unlimited():
    """Odoo lowers the soft RLIMIT_AS of its process (and so of the Chromium
    Playwright starts, which then dies): the hard limit for the test's span."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def photo_png(colour, size=(2000, 1500)):
    """A camera-sized picture: the app downscales it to 1280 px."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


class PpmBrowserCase(HttpCase):
    """Playwright inside an HttpCase: requests allowed (the test lock
    released), the session and test-request cookies copied in, a phone-sized
    context with a position."""

    position = {"latitude": -1.2801, "longitude": 36.8001, "accuracy": 12}

    @contextmanager
    def ppm_browser(self, login):
        self.authenticate(login, login)
        chromium = chromium_path()
        with self.allow_requests(), address_space_unlimited(), sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport=PHONE,
                    is_mobile=True,
                    has_touch=True,
                    geolocation=self.position,
                    permissions=["geolocation"],
                    base_url=self.base_url(),
                )
                context.set_default_timeout(TIMEOUT_MS)
                context.add_cookies(
                    [
                        {"name": "session_id", "value": self.session.sid, "url": self.base_url()},
                        {
                            "name": TEST_CURSOR_COOKIE_NAME,
                            "value": self.http_request_key,
                            "url": self.base_url(),
                        },
                    ]
                )
                page = context.new_page()
                self.console = []
                page.on("console", lambda msg: self.console.append(f"{msg.type}: {msg.text}"))
                page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
                yield context, page
            finally:
                browser.close()
                for line in self.console:
                    _logger.info("browser console: %s", line)

    def screenshot(self, page, name):
        save_test_file(f"spp_ppm_app_{name}", page.screenshot(full_page=True), "ppm_")

    def open_app(self, page):
        page.goto("/ppm")
        page.wait_for_selector(".o_ppm")
        # The service worker precached the bundle: the app opens offline.
        try:
            page.wait_for_selector('.o_ppm[data-offline-ready="1"]')
        except Exception as error:
            workers = page.evaluate(
                "navigator.serviceWorker.getRegistrations()"
                ".then(rs => rs.map(r => [r.scope, !!r.active, !!r.installing]))"
            )
            raise AssertionError(f"not offline-ready: {workers} {self.console}") from error

    def reload_offline(self, context, page):
        context.set_offline(True)
        page.reload()
        page.wait_for_selector(".o_ppm .o_ppm_offline")
        self.assertFalse(page.evaluate("navigator.onLine"))
        # The page came from the service worker's cache, not the server.
        self.assertTrue(page.evaluate("!!navigator.serviceWorker.controller"))


@tagged("post_install", "-at_install")
class TestPpmAppShell(PpmBrowserCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ppm_user = new_test_user(
            cls.env,
            login="ppm_shell",
            groups="base.group_portal,spp_payment_point.group_spp_ppm",
        )
        cls.internal = new_test_user(cls.env, login="not_a_ppm", groups="base.group_user")

    def test_routes(self):
        self.authenticate("ppm_shell", "ppm_shell")
        page = self.url_open("/ppm")
        self.assertEqual(page.status_code, 200)
        self.assertIn("spp_ppm_app.assets_ppm", page.text)
        self.assertIn("/web/manifest.scoped_app_manifest?app_id=spp_ppm_app", page.text)
        self.assertEqual(page.headers["Cache-Control"], "no-store")
        worker = self.url_open("/ppm/service-worker.js")
        self.assertEqual(worker.status_code, 200)
        self.assertEqual(worker.headers["Service-Worker-Allowed"], "/ppm")
        self.assertIn("/ppm/api/", worker.text)
        # Not a PPM: no app.
        self.authenticate("not_a_ppm", "not_a_ppm")
        self.assertEqual(self.url_open("/ppm").status_code, 404)
        self.assertEqual(self.url_open("/ppm/service-worker.js").status_code, 404)
        # Not logged in: the login page.
        self.authenticate(None, None)
        anonymous = self.url_open("/ppm", allow_redirects=False)
        self.assertEqual(anonymous.status_code, 303)
        self.assertIn("/web/login", anonymous.headers["Location"])

    def test_app_opens_offline(self):
        with self.ppm_browser("ppm_shell") as (context, page):
            self.open_app(page)
            page.wait_for_selector(".o_ppm_enrol")
            self.reload_offline(context, page)
            # Offline, enrolling (which needs the server) is not offered.
            self.assertTrue(page.is_disabled(".o_ppm_enrol_button"))
            self.screenshot(page, "shell_offline")
        errors = [line for line in self.console if line.startswith(("error", "pageerror"))]
        self.assertFalse(errors, errors)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""The PPM app in a real Chromium driven by Playwright: served at /ppm, it
opens offline from its own service worker, and pays offline what it
downloaded, then syncs. Playwright and Debian's chromium are installed by
the project's setup; without them this test fails (it never skips)."""

import hashlib
import io
import logging
import resource
import shutil
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from PIL import Image

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TEST_CURSOR_COOKIE_NAME, save_test_file
from odoo.tools import SQL

from .common import SppPpmCommon

_logger = logging.getLogger(__name__)

# The flags this machine kind needs: without them Chromium tries the closed
# network (updates, QUIC, sync) and its connections are refused.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
CACHED_APP_PAGE = """async () => {
    for (const key of await caches.keys()) {
        if (await (await caches.open(key)).match("/ppm")) {
            return true;
        }
    }
    return false;
}"""
TIMEOUT_MS = 60000
UUIDS = "window.__ppm_store__.state.events.map(e => e.client_uuid)"


# Debian's Chromium 150 fails the requests under Playwright's offline emulation
# but leaves navigator.onLine true and fires no offline/online events, which a
# phone's browser does. The page is told what the network emulation does, as
# the operating system would tell it; the network itself is really cut.
ONLINE_SIGNAL = """(() => {
    const real = Object.getOwnPropertyDescriptor(Navigator.prototype, "onLine");
    Object.defineProperty(Navigator.prototype, "onLine", {
        configurable: true,
        get() {
            if (localStorage.getItem("spp_test_offline") === "1") {
                return false;
            }
            return real.get.call(this);
        },
    });
})();"""


def set_offline(context, page, offline):
    """Cut the browser off the network (or back on), and signal it to the page."""
    context.set_offline(offline)
    page.evaluate(
        """(offline) => {
            localStorage.setItem("spp_test_offline", offline ? "1" : "0");
            window.dispatchEvent(new Event(offline ? "offline" : "online"));
        }""",
        offline,
    )


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
                context.add_init_script(ONLINE_SIGNAL)
                context.add_cookies(
                    [
                        {
                            "name": "session_id",
                            "value": self.session.sid,
                            "url": self.base_url(),
                        },
                        {
                            "name": TEST_CURSOR_COOKIE_NAME,
                            "value": self.http_request_key,
                            "url": self.base_url(),
                        },
                    ]
                )
                page = context.new_page()
                self.console = []
                page.on(
                    "console",
                    lambda msg: self.console.append(f"{msg.type}: {msg.text}"),
                )
                page.on(
                    "pageerror",
                    lambda error: self.console.append(f"pageerror: {error}"),
                )
                # Why a request failed (net::ERR_...), the service worker's too.
                context.on(
                    "requestfailed",
                    lambda req: self.console.append(
                        f"requestfailed: {req.url} {req.failure}"
                    ),
                )
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
            raise AssertionError(
                f"not offline-ready: {workers} {self.console}"
            ) from error

    def reload_offline(self, context, page):
        # The page is cut off only once the worker's cache holds it: Chromium
        # 150 runs the precache after the app reports ready more often than not
        # (a device going offline that soon would find nothing either).
        page.wait_for_function(CACHED_APP_PAGE)
        set_offline(context, page, True)
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
        cls.internal = new_test_user(
            cls.env, login="not_a_ppm", groups="base.group_user"
        )

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
        errors = [
            line for line in self.console if line.startswith(("error", "pageerror"))
        ]
        self.assertFalse(errors, errors)


@tagged("post_install", "-at_install")
class TestPpmAppOffline(SppPpmCommon, PpmBrowserCase):
    """Amina enrols her phone, downloads, pays offline, syncs; the managers
    reject, then accept the batch."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The phone records the real time: the cycle runs around today.
        cls.env.flush_all()
        today = fields.Date.today()
        cls.env.cr.execute(
            SQL(
                "UPDATE spp_payment_cycle SET date_start = %s, date_end = %s "
                "WHERE id = %s",
                today - timedelta(days=10),
                today + timedelta(days=10),
                cls.cycle.id,
            )
        )
        cls.cycle.invalidate_recordset()
        # The browser enrols its own device.
        cls.device.unlink()
        # The download's digest covers names beyond ASCII (UTF-8 JSON).
        cls.payments[1].partner_id.name = "Wanjirũ Ñgũgĩ “Mama” 🌽"

    def pay(self, page, registrant_id, photo, override=False):
        page.fill(".o_ppm_search", registrant_id)
        page.click(f'.o_ppm_payment[data-registrant-id="{registrant_id}"]')
        page.check(".o_ppm_identity")
        page.set_input_files(
            ".o_ppm_photo",
            files=[{"name": "photo.png", "mimeType": "image/png", "buffer": photo}],
        )
        if override:
            page.click(".o_ppm_pay_button")
            page.wait_for_selector(".o_ppm_override")
            page.fill(".o_ppm_notes", "Came back: says the first cash was short")
            page.click(".o_ppm_override_button")
        else:
            page.click(".o_ppm_pay_button")
        page.wait_for_selector(".o_ppm_pay_form", state="detached")

    def outbox(self, page):
        return page.evaluate(
            "window.__ppm_store__.state.events.map(e => "
            "({payment_id: e.payment_id, verdict: e.verdict, reason: e.reason, "
            "seq: e.seq, batch: e.batch_uuid, settled: !!e.settled}))"
        )

    def sync(self, page):
        page.wait_for_function("!window.__ppm_store__.state.syncing")
        page.click(".o_ppm_sync")
        page.wait_for_function("!window.__ppm_store__.state.syncing")
        self.assertFalse(page.evaluate("window.__ppm_store__.state.error"))

    def batches(self):
        # What the browser's requests wrote, not this test's cache of it.
        self.env.invalidate_all()
        return self.env["spp.reconciliation"].search(
            [("source", "=", "ppm"), ("ppm_id", "=", self.manager.id)], order="id"
        )

    def test_enrol_download_pay_offline_sync_reject_accept(self):
        paid = self.payments[:3]
        amounts = [f"{p.amount:.2f}" for p in paid]
        numbers = [p.partner_id.registrant_number for p in paid]
        currency = self.float.currency_id.name
        with self.ppm_browser("ppm_amina") as (context, page):
            self.open_app(page)
            # Online: enrol the device and download the assignments.
            page.fill('input[name="device_name"]', "Amina's phone")
            page.click(".o_ppm_enrol_button")
            page.wait_for_selector(".o_ppm_download")
            device = self.env["spp.ppm.device"].search(
                [("manager_id", "=", self.manager.id)]
            )
            self.assertEqual(device.name, "Amina's phone")
            self.assertEqual(len(device), 1)
            # The private key stays in the browser, not extractable.
            key = page.evaluate(
                "window.__ppm_store__.deviceKey().then(k => crypto.subtle"
                ".exportKey('pkcs8', k).then(() => 'exported', e => "
                "[k.type, k.extractable, k.algorithm.namedCurve, e.name]))"
            )
            self.assertEqual(key, ["private", False, "P-256", "InvalidAccessError"])
            page.click(".o_ppm_download")
            page.wait_for_selector(".o_ppm_payment")
            self.assertEqual(
                page.locator(".o_ppm_payment").count(), len(self.payments) - 1
            )
            left = page.inner_text(".o_ppm_float_left")
            self.assertEqual(left, f"{self.float.amount_issued:.2f} {currency}")
            self.screenshot(page, "downloaded")

            # Offline: the app reloads from the service worker, the
            # assignments from IndexedDB.
            self.reload_offline(context, page)
            page.wait_for_selector(".o_ppm_payment")
            for n, number in enumerate(numbers):
                self.pay(page, number, photo_png((40 * n, 120, 200)))
            # Paying the first again is refused, then recorded on override.
            page.fill(".o_ppm_search", numbers[0])
            page.click(f'.o_ppm_payment[data-registrant-id="{numbers[0]}"]')
            page.check(".o_ppm_identity")
            page.set_input_files(
                ".o_ppm_photo",
                files=[
                    {
                        "name": "p.png",
                        "mimeType": "image/png",
                        "buffer": photo_png((9, 9, 9)),
                    }
                ],
            )
            page.click(".o_ppm_pay_button")
            page.wait_for_selector(".o_ppm_override")
            self.assertIn("already paid", page.inner_text(".o_ppm_form_error"))
            page.click(".btn-close")
            self.pay(page, numbers[0], photo_png((9, 9, 9)), override=True)
            spent = sum(Decimal(a) for a in amounts) + Decimal(amounts[0])
            self.assertEqual(
                page.inner_text(".o_ppm_float_left"),
                f"{Decimal(str(self.float.amount_issued)) - spent:.2f} {currency}",
            )
            # The events survive a reload, still offline.
            page.reload()
            page.wait_for_selector(".o_ppm .o_ppm_offline")
            events = self.outbox(page)
            self.assertEqual([e["seq"] for e in events], [1, 2, 3, 4])
            self.assertEqual([e["payment_id"] for e in events], [*paid.ids, paid[0].id])
            self.assertFalse(any(e["verdict"] for e in events))
            self.assertFalse(self.batches(), "nothing reached the server offline")
            page.click(".o_ppm_tab_events")
            self.screenshot(page, "paid_offline")

            # Online again: the sync.
            set_offline(context, page, False)
            page.wait_for_selector(".o_ppm_online")
            self.sync(page)
            batch = self.batches()
            self.assertEqual(len(batch), 1)
            self.assertEqual(batch.approval_state, "submitted")
            lines = batch.line_ids
            self.assertEqual(
                sorted(
                    lines.filtered(lambda line: line.outcome == "paid").payment_id.ids
                ),
                sorted(paid.ids),
            )
            double = lines.filtered(
                lambda line: line.exception_reason == "double_entry"
            )
            self.assertEqual(len(lines), 4)
            self.assertEqual(double.payment_id, paid[0])
            self.assertEqual(double.outcome, "skipped")
            for line in lines:
                self.assertAlmostEqual(line.latitude, self.position["latitude"])
                self.assertEqual(line.gps_accuracy, self.position["accuracy"])
                # The camera's 2000x1500 picture, downscaled to a JPEG of
                # 1280 px whose SHA-256 the device signed.
                photo = line.photo_id.raw
                self.assertEqual(hashlib.sha256(photo).hexdigest(), line.photo_sha256)
                with Image.open(io.BytesIO(photo)) as image:
                    self.assertEqual((image.format, image.size), ("JPEG", (1280, 960)))
            verdicts = [(e["verdict"], e["reason"]) for e in self.outbox(page)]
            self.assertEqual(
                verdicts, [("accepted", "")] * 3 + [("exception", "double_entry")]
            )
            page.wait_for_selector('.o_ppm_event[data-verdict="exception"]')
            self.screenshot(page, "synced")

            # A manager rejects the batch: the device sends the same events
            # again, in a new batch.
            batch.with_user(self.users["finance_manager"]).action_reject(
                reason="photos unclear"
            )
            self.env.flush_all()
            self.sync(page)
            first, second = self.batches()
            self.assertEqual(first, batch)
            self.assertTrue(first.cleared)
            self.assertEqual(second.approval_state, "submitted")
            self.assertEqual(len(second.line_ids), 4)
            self.assertEqual(
                sorted(second.line_ids.mapped("client_uuid")),
                sorted(page.evaluate(UUIDS)),
            )
            # Another manager accepts it: paid once each, the float moved once.
            other_manager = self.env["res.users"].search(
                [("login", "=", "spp_finance_manager2")]
            )
            second.with_user(other_manager).action_approve()
            self.env.flush_all()
            self.sync(page)
            self.assertTrue(all(e["settled"] for e in self.outbox(page)))
            self.screenshot(page, "accepted")
        self.env.invalidate_all()
        self.assertEqual(set(paid.mapped("state")), {"paid"})
        self.assertEqual(paid.mapped("paid_amount"), paid.mapped("amount"))
        self.assertFalse(
            self.env["spp.payment.overpayment"].search([("payment_id", "in", paid.ids)])
        )
        self.float.invalidate_recordset()
        self.assertEqual(
            Decimal(str(self.float.amount_handed_out)),
            sum(Decimal(a) for a in amounts),
        )

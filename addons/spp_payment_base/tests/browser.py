# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Tours that keep a screenshot of their successful end state as an artefact
(Odoo keeps screenshots of failed tours only)."""

import base64
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser, save_test_file
from odoo.tools import config

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def start_tour_with_screenshot(case, url, tour, login, shot_name):
    """Run ``tour`` as ``login`` and save the page as it ends, as
    ``tour_<...>_<shot_name>.png``; returns the screenshot's path."""
    wait_code_ok = ChromeBrowser._wait_code_ok

    def wait_then_capture(browser, *args, **kwargs):
        wait_code_ok(browser, *args, **kwargs)
        shot = browser._websocket_request("Page.captureScreenshot", timeout=20)
        save_test_file(shot_name, base64.b64decode(shot["data"]), "tour_")

    with patch.object(ChromeBrowser, "_wait_code_ok", wait_then_capture):
        case.start_tour(url, tour, login=login)
    shots = sorted(
        Path(config["screenshots"]).glob(f"*/screenshots/tour_*_{shot_name}.png")
    )
    case.assertTrue(shots, f"no screenshot of the tour {tour}")
    case.assertEqual(shots[-1].read_bytes()[:8], PNG_MAGIC)
    return shots[-1]

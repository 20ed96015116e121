"""Reading an Odoo test log: test counts, and WARNING/ERROR lines not allowed."""

import re
from pathlib import Path

LEVEL = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
# odoo/tests/result.py, OdooTestResult.addSkip: "skipped <test> : <reason>".
SKIPPED = re.compile(r"^\S+ \S+ \d+ INFO \S+ \S+: skipped (.+)$")
# odoo/tests/common.py: why a browser test (HttpCase.browser_js, start_tour)
# could not run; each is followed by a SkipTest.
NO_BROWSER = re.compile(
    r"Chrome executable not found"
    r"|websocket-client module is not installed"
    r"|Failed to detect chrome devtools port"
    r"|Error during Chrome (headless )?connection"
    r"|Cannot connect to chrome dev tools"
)


def allow_list(path):
    """Regular expressions, one a line; blank lines and # comments ignored."""
    if not Path(path).is_file():
        return []
    return [
        re.compile(line.strip())
        for line in Path(path).read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def unexpected_lines(log_text, allowed):
    return [
        line
        for line in log_text.splitlines()
        if LEVEL.match(line) and not any(rx.search(line) for rx in allowed)
    ]


def test_counts(log_text):
    """(passed, failed) from Odoo's closing summary line; errors count as failed."""
    matches = SUMMARY.findall(log_text)
    if not matches:
        return None
    failed, errors, total = (int(x) for x in matches[-1])
    return total - failed - errors, failed + errors


def skipped_tests(log_text):
    """The tests Odoo skipped: a skipped test proves nothing, and a browser
    test is skipped (not failed) when Chromium or websocket-client is missing."""
    return [m.group(1) for m in map(SKIPPED.match, log_text.splitlines()) if m]


def browser_problems(log_text):
    return [line for line in log_text.splitlines() if NO_BROWSER.search(line)]


def verdict(log_text, allowed):
    """(passed, failed, notes) of an Odoo test run: its summary, plus one
    failure per skipped test, one for browser tests that could not start, and
    one for any WARNING/ERROR line not allowed. None when there is no summary."""
    counts = test_counts(log_text)
    if counts is None:
        return None
    passed, failed = counts
    notes = []
    skipped = skipped_tests(log_text)
    notes += [f"skipped, counted failed: {test[:400]}" for test in skipped]
    passed -= len(skipped)
    failed += len(skipped)
    browser = browser_problems(log_text)
    notes += [f"browser tests cannot run: {line[:400]}" for line in browser[:5]]
    if browser and not skipped:
        failed += 1
    unexpected = unexpected_lines(log_text, allowed)
    notes += [f"not allowed: {line[:400]}" for line in unexpected[:40]]
    if unexpected:
        failed += 1
    return passed, failed, notes

"""Reading an Odoo test log: test counts, and WARNING/ERROR lines not allowed."""

import re
from pathlib import Path

LEVEL = re.compile(r"^\S+ \S+ \d+ (WARNING|ERROR|CRITICAL) ")
SUMMARY = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")


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

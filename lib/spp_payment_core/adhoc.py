# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Ad-hoc payroll files: one row per person to pay, read with
:func:`spp_payment_core.tables.read_table` (CSV or XLSX) and checked whole.

Columns (header names, case and spaces ignored):

- ``registrant_id``: the registrant number of a registrant, or empty for a new
  payee described by ``name`` (required then), ``phone``, ``national_id``;
- ``amount`` (required): positive, with no more decimals than the currency;
- ``channel`` (required): ``digital`` or ``payment_point``;
- ``destination``: a mobile number (``+`` and E.164 digits) or a bank
  account; required for the digital channel. ``destination_type``
  (``msisdn`` or ``bank``) when the form alone does not say;
- ``fsp``: the FSP by name; empty: the member's FSP.

Nothing here reads a database: the caller passes what the file's registrant
IDs and FSP names are (:class:`Registrant`, ``{name.lower(): id or [ids]}``).
Every problem is a :class:`~spp_payment_core.tables.TableError` with its row
and column; the rows are only meaningful when there is none."""

import functools
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .phone import normalize_msisdn
from .tables import FORMULA_START, TableError, is_formula_like

COLUMNS = (
    "registrant_id",
    "name",
    "phone",
    "national_id",
    "amount",
    "channel",
    "destination",
    "destination_type",
    "fsp",
)
REQUIRED_COLUMNS = ("amount", "channel")
CHANNELS = {"digital": "digital", "payment_point": "payment_point"}
# Labels a person may type for a channel.
CHANNEL_WORDS = {
    "digital": "digital",
    "payment point": "payment_point",
    "payment_point": "payment_point",
    "cash": "payment_point",
}
DESTINATION_TYPES = ("msisdn", "bank")
# An account number as banks print it: letters, digits, spaces and dashes.
ACCOUNT_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9 -]{2,40}\Z")
MAX_AMOUNT = Decimal("1e12")
MAX_NAME = 128
# Membership states a registrant is paid in; draft: enrolled by this upload.
PAYABLE_MEMBERSHIP_STATES = (None, "draft", "enrolled")


@dataclass(frozen=True)
class Registrant:
    """What the file's caller knows of one registrant ID."""

    partner_id: int
    registrant_type: str = ""
    membership_id: int = None
    membership_state: str = None
    fsp_id: int = None
    # Reference of the registrant's live payment in the payroll's cycle.
    live_payment: str = ""


@dataclass
class AdhocRow:
    row: int
    amount: Decimal
    channel: str
    destination_type: str = None
    destination: str = None
    fsp_id: int = None
    partner_id: int = None  # a registrant; None: a new payee
    membership_id: int = None
    name: str = ""
    phone: str = ""
    national_id: str = ""

    @property
    def is_new_payee(self):
        return self.partner_id is None


@dataclass
class AdhocResult:
    rows: list
    errors: list

    @property
    def new_payees(self):
        return [row for row in self.rows if row.is_new_payee]

    @property
    def registrant_rows(self):
        return [row for row in self.rows if not row.is_new_payee]


def column_texts(table, column):
    """Distinct non-empty cells of ``column``: what the caller looks up once."""
    position = _position(table, column)
    if position is None:
        return set()
    return {
        cells[position].strip()
        for _n, cells in table.rows
        if position < len(cells) and cells[position].strip()
    }


def validate(
    table,
    registrants,
    fsps,
    decimal_places=2,
    target_type="",
    default_country_code=None,
):
    """Check every row of ``table``: (rows, errors) as :class:`AdhocResult`.

    ``registrants`` maps a registrant ID of the file to its
    :class:`Registrant` (IDs missing from it are unknown); ``fsps`` maps a
    lower-case FSP name to its id, or to a list when several FSPs share it;
    ``target_type`` is the kind of registrant the program pays."""
    errors = header_errors(table)
    if errors:
        return AdhocResult([], errors)
    checker = _RowChecker(
        table, registrants, fsps, decimal_places, target_type, default_country_code
    )
    rows = []
    for number, cells in table.rows:
        row, problems = checker.check(number, cells)
        errors.extend(problems)
        if not problems:
            rows.append(row)
    return AdhocResult(rows, errors)


def header_errors(table):
    """Missing, repeated and unknown columns."""
    errors, seen = [], {}
    known = set(COLUMNS)
    for required in REQUIRED_COLUMNS:
        if _position(table, required) is None:
            errors.append(_missing(table, required))
    if _position(table, "registrant_id") is None and _position(table, "name") is None:
        errors.append(
            TableError(
                "a file names who to pay: a registrant_id column, or name for "
                "new payees (or both)",
                table.filename,
                1,
                "registrant_id",
            )
        )
    for position, header in enumerate(table.header):
        key = header.strip().lower().replace(" ", "_")
        if key in seen:
            errors.append(
                TableError(
                    f"the column appears twice (columns {seen[key] + 1} and "
                    f"{position + 1})",
                    table.filename,
                    1,
                    header,
                )
            )
            continue
        seen[key] = position
        if key not in known:
            errors.append(
                TableError(
                    f"unknown column; the columns are {', '.join(COLUMNS)}",
                    table.filename,
                    1,
                    header or f"#{position + 1}",
                )
            )
    return errors


def _missing(table, column):
    return TableError(
        f"missing column; the file has {', '.join(table.header)}",
        table.filename,
        1,
        column,
    )


class _RowChecker:
    def __init__(
        self, table, registrants, fsps, decimal_places, target_type, country_code
    ):
        self.table, self.registrants, self.fsps = table, registrants, fsps
        self.decimal_places, self.target_type = decimal_places, target_type
        self.country_code = country_code
        # (name, position) of the columns the file has.
        self.present = [
            (name, position)
            for name in COLUMNS
            if (position := _position(table, name)) is not None
        ]
        # First row of each person: registrant ID, national ID, phone.
        self.first_row_of = {}

    def check(self, number, cells):
        self.number, self.problems = number, []
        # Each cell read and stripped once: a file may have a million rows.
        width = len(cells)
        self.values = values = {
            name: cells[position].strip()
            for name, position in self.present
            if position < width and cells[position]
        }
        for name, value in values.items():
            if value and value[0] in FORMULA_START and is_formula_like(value):
                self.bad(name, "a formula, not a value; type the value itself")
        if self.problems:
            return None, self.problems
        row = AdhocRow(number, self._amount(), self._channel())
        self._person(row)
        self._destination(row)
        self._fsp(row)
        return row, self.problems

    def bad(self, column, message):
        self.problems.append(
            TableError(message, self.table.filename, self.number, column)
        )

    def text(self, name):
        return self.values.get(name, "")

    # Cells ------------------------------------------------------------------

    def _amount(self):
        text = self.text("amount")
        if not text:
            self.bad("amount", "an amount is required")
            return None
        amount, problem = parse_amount(text, self.decimal_places)
        if problem:
            self.bad("amount", problem)
        return amount

    def _channel(self):
        text = self.text("channel")
        channel = CHANNEL_WORDS.get(text.lower().replace("-", " "))
        if channel is None:
            self.bad(
                "channel",
                f"unknown channel {text!r}: digital or payment_point"
                if text
                else "a channel is required: digital or payment_point",
            )
        return channel

    def _person(self, row):
        number = self.text("registrant_id")
        if number:
            self._registrant(row, number)
        else:
            self._new_payee(row)

    def _registrant(self, row, number):
        found = self.registrants.get(number)
        if found is None:
            self.bad("registrant_id", f"no registrant has the ID {number!r}")
            return
        row.partner_id, row.membership_id = found.partner_id, found.membership_id
        self._once(("registrant", number), "registrant_id", f"registrant {number}")
        if self.target_type and found.registrant_type != self.target_type:
            self.bad(
                "registrant_id",
                f"{number} is a {found.registrant_type or 'contact'}; the program "
                f"pays {self.target_type}s",
            )
        elif found.membership_state not in PAYABLE_MEMBERSHIP_STATES:
            self.bad(
                "registrant_id",
                f"{number} is {found.membership_state} in the program",
            )
        elif found.live_payment:
            self.bad(
                "registrant_id",
                f"{number} already has payment {found.live_payment} in this cycle",
            )

    def _new_payee(self, row):
        row.name = self.text("name")
        if not row.name:
            self.bad(
                "registrant_id",
                "give the registrant ID, or the name of a new payee",
            )
        elif len(row.name) > MAX_NAME:
            self.bad("name", f"a name has at most {MAX_NAME} characters")
        row.national_id = self.text("national_id")
        if row.national_id:
            self._once(
                ("national_id", row.national_id.lower()),
                "national_id",
                f"national ID {row.national_id}",
            )
        phone = self.text("phone")
        if phone:
            row.phone = self._msisdn(phone, "phone")
            if row.phone:
                self._once(("phone", row.phone), "phone", f"phone {row.phone}")

    def _once(self, key, column, what):
        """A person is paid once per file."""
        first = self.first_row_of.setdefault(key, self.number)
        if first != self.number:
            self.bad(column, f"{what} is already paid in row {first}")

    def _msisdn(self, text, column):
        try:
            return normalize_msisdn(text, self.country_code)
        except ValueError as error:
            self.bad(column, str(error))
            return None

    def _destination(self, row):
        text, kind = self.text("destination"), self.text("destination_type").lower()
        if kind and kind not in DESTINATION_TYPES:
            self.bad(
                "destination_type",
                f"unknown destination type {kind!r}: {' or '.join(DESTINATION_TYPES)}",
            )
            return
        if not text:
            if row.channel == "digital":
                self.bad("destination", "a digital payment needs a destination")
            return
        if not kind:
            kind = "msisdn" if text.startswith(("+", "00")) else "bank"
        row.destination_type = kind
        if kind == "msisdn":
            row.destination = self._msisdn(text, "destination")
        elif ACCOUNT_PATTERN.match(text):
            row.destination = text
        else:
            self.bad(
                "destination",
                f"{text!r} is not an account number (letters, digits, spaces, "
                "dashes) nor a mobile number starting with +",
            )

    def _fsp(self, row):
        name = self.text("fsp")
        if name:
            found = self.fsps.get(name.lower())
            if found is None:
                self.bad("fsp", f"no FSP is named {name!r}")
            elif isinstance(found, (list, tuple)):
                self.bad("fsp", f"{len(found)} FSPs are named {name!r}")
            else:
                row.fsp_id = found
            return
        registrant = self.registrants.get(self.text("registrant_id"))
        if registrant is not None:
            row.fsp_id = registrant.fsp_id
        if row.channel == "digital" and not row.fsp_id and not self._unknown_person():
            self.bad(
                "fsp",
                "a digital payment needs an FSP: name it (the payee has none)",
            )

    def _unknown_person(self):
        """The row's person is already explained as unknown."""
        number = self.text("registrant_id")
        return bool(number) and number not in self.registrants


@functools.lru_cache(maxsize=65536)
def parse_amount(text, decimal_places):
    """(amount, problem): a positive exact ``Decimal`` with at most
    ``decimal_places`` decimals (never rounded: 10.005 in a 2-decimal currency
    is a mistake to show, not a cent to lose)."""
    cleaned = text.replace(" ", "").replace("\u00a0", "")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None, f"{text!r} is not an amount (digits, a dot for decimals)"
    if not amount.is_finite():
        return None, f"{text!r} is not an amount"
    if amount <= 0:
        return None, f"the amount must be positive, not {text}"
    if amount >= MAX_AMOUNT:
        return None, f"the amount {text} is implausibly large"
    if -amount.as_tuple().exponent > decimal_places and amount != amount.quantize(
        Decimal(1).scaleb(-decimal_places)
    ):
        return None, (
            f"{text} has more than {decimal_places} decimals, the currency's precision"
        )
    return amount.quantize(Decimal(1).scaleb(-decimal_places)), ""


def _position(table, name):
    wanted = name.lower()
    for position, header in enumerate(table.header):
        if header.strip().lower().replace(" ", "_") == wanted:
            return position
    return None

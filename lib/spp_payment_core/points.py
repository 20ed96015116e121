# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Payment point criteria files: one row per point, read with
:func:`spp_payment_core.tables.read_table` (CSV or XLSX), checked whole.

Columns (header names, case and spaces ignored):

- ``code`` (required, unique in the file and among existing points),
  ``name`` (required), ``area_code``, ``address``, ``latitude`` (-90..90),
  ``longitude`` (-180..180, given with the latitude), ``radius_m`` (whole
  metres, at least 1), ``capacity`` (whole number, at least 0);
- every other column is a *criteria column*: its header is the path of a stored
  field of the program membership (``channel``, ``partner_id.city``,
  ``partner_id.area_id`` ...). A cell is the value the member's field must have;
  several values separated by ``|`` mean any of them; an empty cell sets no
  criterion. Link fields take the linked record's code (or name when it has no
  code); an area includes its sub-areas. Every row needs at least one criterion.

Nothing here reads a database: the caller describes the fields
(``describe(path) -> FieldSpec | str``) and the codes that exist."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from .tables import TableError, is_formula_like

POINT_COLUMNS = (
    "code",
    "name",
    "area_code",
    "address",
    "latitude",
    "longitude",
    "radius_m",
    "capacity",
)
REQUIRED_COLUMNS = ("code", "name")
ANY_OF = "|"
MAX_PATH_DEPTH = 3
CODE_PATTERN = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._/-]{0,63}\Z")
KINDS = ("char", "integer", "float", "boolean", "selection", "date", "many2one")
TRUE = {"1", "true", "yes", "y"}
FALSE = {"0", "false", "no", "n"}


@dataclass(frozen=True)
class FieldSpec:
    """What a criteria column's field accepts."""

    kind: str  # one of KINDS
    label: str = ""
    choices: tuple = ()  # selection: ((key, label), ...)
    key_name: str = "code"  # many2one: the linked record's field a cell names
    hierarchical: bool = False  # many2one: match the record and its children


@dataclass(frozen=True)
class CriteriaColumn:
    position: int
    path: str
    spec: FieldSpec


@dataclass
class PointRow:
    row: int
    code: str
    name: str
    area_code: str = ""
    address: str = ""
    latitude: Decimal = None
    longitude: Decimal = None
    radius_m: int = None
    capacity: int = None
    # (path, spec, [values]) in column order; many2one values are record ids.
    criteria: list = field(default_factory=list)

    def domain(self):
        return criteria_domain(self.criteria)


@dataclass
class ParseResult:
    rows: list
    errors: list


def criteria_columns(table, describe):
    """The criteria columns of ``table`` and the errors of its header: a
    criteria column must name a stored field that ``describe`` accepts."""
    columns, errors, seen = [], [], {}
    fixed = set(POINT_COLUMNS)
    for required in REQUIRED_COLUMNS:
        if table.index(required, required=False) is None:
            errors.append(
                TableError(
                    f"missing column; the file has {', '.join(table.header)}",
                    table.filename,
                    1,
                    required,
                )
            )
    for position, header in enumerate(table.header):
        name = header.strip()
        key = name.lower()
        if not name:
            errors.append(
                TableError(
                    f"column {position + 1} has no header", table.filename, 1, name
                )
            )
            continue
        if key in seen:
            errors.append(
                TableError(
                    f"the column appears twice (columns {seen[key] + 1} and "
                    f"{position + 1})",
                    table.filename,
                    1,
                    name,
                )
            )
            continue
        seen[key] = position
        if key in fixed:
            continue
        problem = _path_problem(name)
        spec = problem or describe(name)
        if isinstance(spec, str):
            errors.append(
                TableError(
                    f"not a criteria field: {spec}. Point columns are "
                    f"{', '.join(POINT_COLUMNS)}; any other column names a stored "
                    "field of the membership, such as partner_id.city",
                    table.filename,
                    1,
                    name,
                )
            )
            continue
        columns.append(CriteriaColumn(position, name, spec))
    return columns, errors


def _path_problem(path):
    parts = path.split(".")
    if len(parts) > MAX_PATH_DEPTH:
        return f"at most {MAX_PATH_DEPTH} fields deep"
    if not all(re.fullmatch(r"[a-z_][a-z0-9_]*", part) for part in parts):
        return "a field path is lower-case field names joined by dots"
    return ""


def column_texts(table, column):
    """Every distinct value (after splitting on ``|``) a column holds: what a
    caller looks up once for the whole file."""
    texts = set()
    for _number, cells in table.rows:
        texts.update(_values(_cell(cells, column.position)))
    return texts


def parse_points(table, columns, lookups=None, existing_codes=(), area_codes=None):
    """Check every row; ``ParseResult.rows`` is only meaningful when
    ``errors`` is empty (the import is all or nothing).

    ``lookups`` maps a many2one column's path to {text: id or [ids]};
    ``area_codes`` maps an area code to its id; ``existing_codes`` are the
    codes points already have."""
    checker = _RowChecker(
        table,
        columns,
        lookups or {},
        set(existing_codes),
        area_codes if area_codes is not None else {},
    )
    rows, errors = [], []
    for number, cells in table.rows:
        point, problems = checker.check(number, cells)
        errors.extend(problems)
        if not problems:
            rows.append(point)
    return ParseResult(rows, errors)


class _RowChecker:
    def __init__(self, table, columns, lookups, existing, area_codes):
        self.table, self.columns, self.lookups = table, columns, lookups
        self.existing, self.area_codes = existing, area_codes
        self.position = {n: table.index(n, required=False) for n in POINT_COLUMNS}
        # Every other column, valid or not: a row filling only a column whose
        # header is wrong is explained by the header's error alone.
        self.other_positions = [
            n
            for n, h in enumerate(table.header)
            if h.strip().lower() not in POINT_COLUMNS
        ]
        self.first_row_of = {}

    def check(self, number, cells):
        self.number, self.cells, self.problems = number, cells, []
        for name in POINT_COLUMNS:
            if is_formula_like(self.text(name)):
                self.bad(name, "a formula, not a value; type the value itself")
        point = PointRow(
            number, self._code(), self.text("name"), address=self.text("address")
        )
        if not point.name:
            self.bad("name", "a point needs a name")
        point.area_code = self.text("area_code")
        if point.area_code and point.area_code not in self.area_codes:
            self.bad("area_code", f"no area has the code {point.area_code!r}")
        self._location(point)
        point.radius_m = _whole(self.text("radius_m"), 1, "radius_m", self.bad)
        point.capacity = _whole(self.text("capacity"), 0, "capacity", self.bad)
        self._criteria(point)
        return point, self.problems

    def bad(self, column, message):
        self.problems.append(
            TableError(message, self.table.filename, self.number, column)
        )

    def text(self, name):
        return _cell(self.cells, self.position[name])

    def _code(self):
        code = self.text("code")
        key = code.lower()
        if not code:
            self.bad("code", "a point needs a code")
        elif not CODE_PATTERN.match(code):
            self.bad(
                "code",
                f"{code!r} is not a code: up to 64 letters, digits and . _ / - "
                "starting with a letter or digit",
            )
        elif key in self.first_row_of:
            self.bad(
                "code", f"{code} is already the code of row {self.first_row_of[key]}"
            )
        elif code in self.existing:
            self.bad("code", f"a payment point with code {code} already exists")
        if code:
            self.first_row_of.setdefault(key, self.number)
        return code

    def _location(self, point):
        point.latitude = _decimal(self.text("latitude"), -90, 90, "latitude", self.bad)
        point.longitude = _decimal(
            self.text("longitude"), -180, 180, "longitude", self.bad
        )
        if (point.latitude is None) != (point.longitude is None):
            missing = "longitude" if point.longitude is None else "latitude"
            if not self.text(missing):
                self.bad(missing, "a GPS location needs both latitude and longitude")

    def _criteria(self, point):
        for column in self.columns:
            values = []
            for value in _values(_cell(self.cells, column.position)):
                converted, problem = convert(
                    value, column.spec, self.lookups.get(column.path, {})
                )
                if problem:
                    self.bad(column.path, problem)
                else:
                    values.append(converted)
            if values:
                point.criteria.append((column.path, column.spec, values))
        if not any(_cell(self.cells, n) for n in self.other_positions):
            names = ", ".join(c.path for c in self.columns)
            self.bad(
                "",
                "no criteria: fill at least one criteria column "
                + (
                    f"({names})"
                    if names
                    else "(the file has none, e.g. partner_id.city)"
                ),
            )


def convert(text, spec, lookup=None):
    """(value, problem) for one cell value of a criteria column."""
    if is_formula_like(text):
        return None, "a formula, not a value; type the value itself"
    converter = _CONVERTERS.get(spec.kind)
    if converter is None:
        return None, f"fields of type {spec.kind} cannot be criteria"
    return converter(text, spec, lookup or {})


def _to_integer(text, _spec, _lookup):
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return int(text), ""
    return None, f"{text!r} is not a whole number"


def _to_float(text, _spec, _lookup):
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        return None, f"{text!r} is not a number"
    return float(number), ""


def _to_boolean(text, _spec, _lookup):
    lowered = text.lower()
    if lowered in TRUE or lowered in FALSE:
        return lowered in TRUE, ""
    return None, f"{text!r} is not yes/no (true, false, 1, 0)"


def _to_date(text, _spec, _lookup):
    try:
        return date.fromisoformat(text).isoformat(), ""
    except ValueError:
        return None, f"{text!r} is not a date (YYYY-MM-DD)"


def _to_selection(text, spec, _lookup):
    lowered = text.lower()
    for key, label in spec.choices:
        if lowered in (str(key).lower(), str(label).lower()):
            return key, ""
    keys = ", ".join(str(key) for key, _label in spec.choices)
    return None, f"{text!r} is not one of {keys}"


def _to_record(text, spec, lookup):
    found = lookup.get(text)
    if found is None:
        return None, f"no {spec.label or 'record'} has the {spec.key_name} {text!r}"
    if isinstance(found, (list, tuple)):
        return None, (
            f"{len(found)} records have the {spec.key_name} {text!r}; "
            "name one by a unique value"
        )
    return found, ""


_CONVERTERS = {
    "char": lambda text, _spec, _lookup: (text, ""),
    "integer": _to_integer,
    "float": _to_float,
    "boolean": _to_boolean,
    "date": _to_date,
    "selection": _to_selection,
    "many2one": _to_record,
}


def criteria_domain(criteria):
    """An Odoo domain (list of tuples, literal values only) from
    ``[(path, spec, values)]``: all criteria hold; a criterion with several
    values holds for any of them."""
    domain = []
    for path, spec, values in criteria:
        if spec.kind == "many2one" and spec.hierarchical:
            domain.append((path, "child_of", list(values)))
        elif len(values) == 1:
            domain.append((path, "=", values[0]))
        else:
            domain.append((path, "in", list(values)))
    return domain


def _cell(cells, position):
    if position is None or position >= len(cells):
        return ""
    return (cells[position] or "").strip()


def _values(text):
    return [part.strip() for part in text.split(ANY_OF) if part.strip()]


def _decimal(text, low, high, column, bad):
    if not text:
        return None
    try:
        number = Decimal(text.replace(",", "."))
    except InvalidOperation:
        bad(column, f"{text!r} is not a number")
        return None
    if not number.is_finite() or not low <= number <= high:
        bad(column, f"{text} is outside {low}..{high}")
        return None
    return number


def _whole(text, low, column, bad):
    if not text:
        return None
    if not re.fullmatch(r"[0-9]+", text) or int(text) < low:
        bad(column, f"{text!r} is not a whole number of at least {low}")
        return None
    return int(text)

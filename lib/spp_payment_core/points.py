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
    lookups = lookups or {}
    area_codes = area_codes if area_codes is not None else {}
    existing = set(existing_codes)
    position = {name: table.index(name, required=False) for name in POINT_COLUMNS}
    rows, errors, first_row_of = [], [], {}
    for number, cells in table.rows:
        problems = []

        def bad(column, message, _problems=problems, _number=number):
            _problems.append(TableError(message, table.filename, _number, column))

        def text(name, _cells=cells):
            return _cell(_cells, position[name])

        for name in POINT_COLUMNS:
            if is_formula_like(text(name)):
                bad(name, "a formula, not a value; type the value itself")
        code, name = text("code"), text("name")
        if not code:
            bad("code", "a point needs a code")
        elif not CODE_PATTERN.match(code):
            bad(
                "code",
                f"{code!r} is not a code: up to 64 letters, digits and . _ / - "
                "starting with a letter or digit",
            )
        elif code.lower() in first_row_of:
            bad("code", f"{code} is already the code of row {first_row_of[code.lower()]}")
        elif code in existing:
            bad("code", f"a payment point with code {code} already exists")
        if code:
            first_row_of.setdefault(code.lower(), number)
        if not name:
            bad("name", "a point needs a name")
        point = PointRow(number, code, name, address=text("address"))
        area = text("area_code")
        if area:
            if area not in area_codes:
                bad("area_code", f"no area has the code {area!r}")
            point.area_code = area
        point.latitude = _decimal(text("latitude"), -90, 90, "latitude", bad)
        point.longitude = _decimal(text("longitude"), -180, 180, "longitude", bad)
        if (point.latitude is None) != (point.longitude is None):
            missing = "longitude" if point.longitude is None else "latitude"
            if not text(missing):
                bad(missing, "a GPS location needs both latitude and longitude")
        point.radius_m = _whole(text("radius_m"), 1, "radius_m", bad)
        point.capacity = _whole(text("capacity"), 0, "capacity", bad)
        for column in columns:
            values = []
            for value in _values(_cell(cells, column.position)):
                converted, problem = convert(
                    value, column.spec, lookups.get(column.path, {})
                )
                if problem:
                    bad(column.path, problem)
                else:
                    values.append(converted)
            if values:
                point.criteria.append((column.path, column.spec, values))
        if not point.criteria and not any(
            _cell(cells, c.position) for c in columns
        ):
            bad(
                "",
                "no criteria: fill at least one criteria column "
                + (
                    f"({', '.join(c.path for c in columns)})"
                    if columns
                    else "(the file has none, e.g. partner_id.city)"
                ),
            )
        errors.extend(problems)
        if not problems:
            rows.append(point)
    return ParseResult(rows, errors)


def convert(text, spec, lookup=None):
    """(value, problem) for one cell value of a criteria column."""
    if is_formula_like(text):
        return None, "a formula, not a value; type the value itself"
    kind = spec.kind
    if kind == "char":
        return text, ""
    if kind == "integer":
        if re.fullmatch(r"[+-]?[0-9]+", text):
            return int(text), ""
        return None, f"{text!r} is not a whole number"
    if kind == "float":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None, f"{text!r} is not a number"
        if not number.is_finite():
            return None, f"{text!r} is not a number"
        return float(number), ""
    if kind == "boolean":
        lowered = text.lower()
        if lowered in TRUE:
            return True, ""
        if lowered in FALSE:
            return False, ""
        return None, f"{text!r} is not yes/no (true, false, 1, 0)"
    if kind == "date":
        try:
            return date.fromisoformat(text).isoformat(), ""
        except ValueError:
            return None, f"{text!r} is not a date (YYYY-MM-DD)"
    if kind == "selection":
        lowered = text.lower()
        for key, label in spec.choices:
            if lowered in (str(key).lower(), str(label).lower()):
                return key, ""
        keys = ", ".join(str(key) for key, _label in spec.choices)
        return None, f"{text!r} is not one of {keys}"
    if kind == "many2one":
        found = (lookup or {}).get(text)
        if found is None:
            what = spec.label or "record"
            return None, f"no {what} has the {spec.key_name} {text!r}"
        if isinstance(found, (list, tuple)):
            return None, (
                f"{len(found)} records have the {spec.key_name} {text!r}; "
                "name one by a unique value"
            )
        return found, ""
    return None, f"fields of type {kind} cannot be criteria"


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

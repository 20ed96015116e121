# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
"""Spreadsheet files in and out: CSV and XLSX, safe against formula injection,
encoding mistakes, binary junk and zip bombs. Amounts are exact ``Decimal``."""

import codecs
import csv
import functools
import io
import re
import zipfile
from dataclasses import dataclass
from typing import NamedTuple

from .bulk import without_cycle_collection
from .money import round_money

# Spreadsheets run a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAGIC = b"PK\x03\x04"
MAX_ROWS = 2_000_000
MAX_COLUMNS = 200
# Uncompressed size an XLSX may expand to; a bomb expands far beyond.
MAX_XLSX_BYTES = 1_500_000_000
MAX_XLSX_RATIO = 200


class TableError(ValueError):
    """A file that cannot be read, with where: file, row (1-based, header = 1)
    and column."""

    def __init__(self, message, filename=None, row=None, column=None):
        super().__init__(message)
        self.message, self.filename, self.row, self.column = (
            message,
            filename,
            row,
            column,
        )

    def __str__(self):
        where = [f"file {self.filename}"] if self.filename else []
        if self.row:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class Column:
    """One exported column: the payment field it shows and how."""

    field: str
    header: str
    kind: str = "text"  # text, amount, date


@dataclass(frozen=True)
class Layout:
    """How an export file looks."""

    delimiter: str = ","
    encoding: str = "utf-8"
    decimal_separator: str = "."
    decimal_places: int = 2
    date_format: str = "%Y-%m-%d"
    header: bool = True
    header_line: str = ""
    trailer_line: str = ""


# The one formula-injection rule of the suite, as a regular expression that
# Python and PostgreSQL read alike (SQL exports test cells with ``~``): a leading
# =, @, tab or CR always; a leading + or - unless a plain number follows (a phone
# number such as +254700000001, or -5, is data a bank needs unchanged).
FORMULA_PATTERN = r"\A(?:[=@\t\r]|[+-](?![0-9][0-9 .,]*\Z))"
_FORMULA = re.compile(FORMULA_PATTERN)


def is_formula_like(text):
    """Would a spreadsheet run ``text`` as a formula? (see FORMULA_PATTERN)"""
    return bool(text) and _FORMULA.match(text) is not None


def safe_text(value):
    """Text a spreadsheet shows as text: a formula-like value is neutralised
    with a leading apostrophe, as OWASP recommends."""
    text = "" if value is None else str(value)
    return "'" + text if is_formula_like(text) else text


def format_amount(amount, layout):
    text = f"{round_money(amount, layout.decimal_places):f}"
    if layout.decimal_separator != ".":
        text = text.replace(".", layout.decimal_separator)
    return text


def _cell(value, column, layout):
    if value is None or value is False:
        return ""
    if column.kind == "amount":
        return format_amount(value, layout)
    if column.kind == "date":
        return value.strftime(layout.date_format)
    return safe_text(value)


def _summary_line(template, count, total, layout):
    """Header and trailer lines may name the count and the total."""
    return safe_text(template.format(count=count, total=format_amount(total, layout)))


def write_csv(out, columns, rows, layout, count=0, total=0):
    """Write ``rows`` (tuples in ``columns`` order) to the binary stream ``out``."""
    text = io.TextIOWrapper(out, encoding=layout.encoding, newline="", errors="strict")
    try:
        writer = csv.writer(text, delimiter=layout.delimiter, lineterminator="\r\n")
        if layout.header_line:
            writer.writerow([_summary_line(layout.header_line, count, total, layout)])
        if layout.header:
            writer.writerow([safe_text(c.header) for c in columns])
        kinds = [(i, c) for i, c in enumerate(columns)]
        writer.writerows([_cell(row[i], c, layout) for i, c in kinds] for row in rows)
        if layout.trailer_line:
            writer.writerow([_summary_line(layout.trailer_line, count, total, layout)])
    except UnicodeEncodeError as error:
        raise TableError(
            f"a value cannot be written in {layout.encoding}: {error.object!r}"
        ) from error
    finally:
        text.detach()


def write_xlsx(out, columns, rows, layout, count=0, total=0):
    """Write an XLSX workbook; amounts stay text-exact when the separator is not
    a dot, numbers otherwise (written from their exact decimal string)."""
    import xlsxwriter  # noqa: PLC0415  (optional dependency, Odoo ships it)

    book = xlsxwriter.Workbook(
        out, {"constant_memory": True, "strings_to_formulas": False}
    )
    sheet = book.add_worksheet("Payments")
    row_no = 0
    if layout.header_line:
        sheet.write_string(
            row_no, 0, _summary_line(layout.header_line, count, total, layout)
        )
        row_no += 1
    if layout.header:
        for col_no, column in enumerate(columns):
            sheet.write_string(row_no, col_no, safe_text(column.header))
        row_no += 1
    numeric = layout.decimal_separator == "."
    for row in rows:
        for col_no, column in enumerate(columns):
            value = row[col_no]
            if column.kind == "amount" and numeric and value is not None:
                sheet.write_number(
                    row_no, col_no, float(round_money(value, layout.decimal_places))
                )
            else:
                sheet.write_string(row_no, col_no, _cell(value, column, layout))
        row_no += 1
    if layout.trailer_line:
        sheet.write_string(
            row_no, 0, _summary_line(layout.trailer_line, count, total, layout)
        )
    book.close()


# Reading -------------------------------------------------------------------


@dataclass
class Table:
    """A read file: its header and rows as lists of strings, numbered as a
    spreadsheet shows them (header = row 1)."""

    filename: str
    header: list
    rows: list  # (row number, [cells])

    def index(self, name, required=True):
        """Position of column ``name`` (case and spaces ignored)."""
        wanted = name.strip().lower()
        for position, header in enumerate(self.header):
            if header.strip().lower() == wanted:
                return position
        if required:
            raise TableError(
                f"missing column; the file has {', '.join(self.header)}",
                self.filename,
                1,
                name,
            )
        return None


@without_cycle_collection
def read_table(data, filename, encoding="utf-8", delimiter=None):
    """Parse an uploaded CSV or XLSX into a :class:`Table`, or raise
    :class:`TableError` saying exactly what is wrong with it."""
    if not data or not data.strip():
        raise TableError("the file is empty", filename)
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data, filename)
    if b"\x00" in data[:65536]:
        raise TableError(
            "this is not a text CSV file (binary content); export it as CSV or XLSX",
            filename,
        )
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise TableError(
            f"not valid {encoding} text (byte {error.start}); save the file as "
            f"{encoding} or choose its encoding",
            filename,
            line,
        ) from error
    text = text.removeprefix("\ufeff")
    if delimiter is None:
        delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        rows = list(enumerate(reader, start=2))
    except csv.Error as error:
        raise TableError(
            f"malformed CSV: {error}", filename, reader.line_num
        ) from error
    return _checked(filename, header, rows)


# The white space str.strip takes off an ASCII cell (line ends end the cell).
CELL_SPACE = "".join(c for c in map(chr, range(128)) if c.isspace() and c not in "\r\n")
_CELL_SPACE = CELL_SPACE.encode()
_UTF8_BOM = codecs.BOM_UTF8
# What a stripped cell that a spreadsheet runs starts with.
_FORMULA_CHARS = "".join(c for c in FORMULA_START if not c.isspace()).encode()


class CopyableCsv(NamedTuple):
    """A CSV file that PostgreSQL's COPY (FORMAT csv, HEADER) splits into the
    cells read_table's reader finds (see copyable_csv)."""

    header: list  # its cells, stripped
    delimiter: str
    data: bytes  # the file for COPY, its header line first
    row_count: int
    padded: bool  # some cell has white space at an edge, to strip


@without_cycle_collection
def copyable_csv(data, encoding="utf-8"):
    """The CSV ``data`` for PostgreSQL's COPY when COPY reads each row into
    exactly the cells read_table would: ASCII text in an encoding that reads
    ASCII as ASCII, no quote (where the two readers differ), no NUL, carriage
    returns only in CRLF line ends, no empty line, no cell over the csv
    module's limit, no ``\\.`` (COPY's end of data), no cell starting like a
    formula, at most MAX_ROWS rows. None for any other file: read_table then
    reads it, and says what is wrong with it, if anything. Each test is a
    scan in C (a million rows: 0.3 s, where read_table takes 2-5 s and a
    million Python lists)."""
    if data.startswith(_UTF8_BOM) and codecs.lookup(encoding).name.startswith("utf-8"):
        data = data[len(_UTF8_BOM) :]
    if data.startswith(XLSX_MAGIC) or not data.isascii():
        return None
    if not _reads_ascii_as_ascii(encoding):
        return None
    if b'"' in data or b"\x00" in data or (b"\\" in data and b"\\." in data):
        return None
    line_end = b"\r\n" if b"\r" in data else b"\n"
    if line_end == b"\r\n" and not (
        data.count(b"\r") == data.count(b"\r\n") == data.count(b"\n")
    ):
        return None
    if data.endswith(line_end * 2):
        data = data.rstrip(b"\r\n")
    lines = data.removesuffix(line_end).split(line_end)
    rows = len(lines) - 1
    limit = csv.field_size_limit()
    if not rows or rows > MAX_ROWS or not min(map(len, lines)):
        return None
    if len(data) > limit and max(map(len, lines)) > limit:
        return None
    text = lines[0].decode("ascii")
    delimiter = _sniff_delimiter(text)
    header = [cell.strip() for cell in text.split(delimiter)]
    if not any(header) or len(header) > MAX_COLUMNS:
        return None
    body = data[len(lines[0]) :]  # from the header's line end on
    sep = delimiter.encode()
    padded = _has_padded_cell(body, sep, line_end)
    if _has_formula_cell(body, sep, padded):
        return None
    return CopyableCsv(header, delimiter, data, rows, padded)


@functools.lru_cache
def _reads_ascii_as_ascii(encoding):
    """Whether ``encoding`` reads every ASCII byte as that character (not
    UTF-16, UTF-7 or EBCDIC), so that ASCII data means the same in it."""
    ascii_bytes = bytes(range(128))
    try:
        return ascii_bytes.decode(encoding) == ascii_bytes.decode("ascii")
    except (LookupError, UnicodeDecodeError):
        return False


def _has_padded_cell(body, sep, line_end):
    """Whether a cell of ``body`` (the rows, each after a line end) starts or
    ends with white space."""
    for space in _CELL_SPACE:
        char = bytes([space])
        if char == sep or char not in body:
            continue
        edges = (sep + char, char + sep, b"\n" + char, char + line_end)
        if body.endswith(char) or any(edge in body for edge in edges):
            return True
    return False


def _has_formula_cell(body, sep, padded):
    """Whether a cell of ``body`` (the rows, each after a line end), stripped,
    starts like a formula."""
    if padded:
        space = re.escape(bytes(c for c in _CELL_SPACE if bytes([c]) != sep))
        starts = b"(?:\n|" + re.escape(sep) + b")[" + space + b"]*"
        pattern = starts + b"[" + re.escape(_FORMULA_CHARS) + b"]"
        return re.search(pattern, body) is not None
    for code in _FORMULA_CHARS:
        char = bytes([code])
        if char in body and (sep + char in body or b"\n" + char in body):
            return True
    return False


def _sniff_delimiter(text):
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_xlsx(data, filename):
    from openpyxl import load_workbook  # noqa: PLC0415  (Odoo ships it)

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        expanded = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise TableError("damaged XLSX file", filename) from error
    if expanded > MAX_XLSX_BYTES or expanded > MAX_XLSX_RATIO * len(data) + 10**7:
        raise TableError(
            f"the XLSX expands to {expanded:,} bytes: refused as a zip bomb", filename
        )
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:
        raise TableError(f"unreadable XLSX file: {error}", filename) from error
    sheet = book.worksheets[0]
    rows_declared, columns_declared = sheet.max_row or 0, sheet.max_column or 0
    if rows_declared > MAX_ROWS + 1 or columns_declared > MAX_COLUMNS:
        raise TableError(
            f"the sheet declares {rows_declared:,} rows x {columns_declared:,} "
            f"columns, more than {MAX_ROWS:,} x {MAX_COLUMNS}",
            filename,
        )
    iterator = sheet.iter_rows(values_only=True)
    header = next(iterator, None)
    rows = []
    for number, values in enumerate(iterator, start=2):
        if number > MAX_ROWS + 1:
            raise TableError(f"more than {MAX_ROWS:,} rows", filename, number)
        rows.append((number, [_xlsx_text(v) for v in values[:MAX_COLUMNS]]))
    book.close()
    header = [_xlsx_text(v) for v in header] if header else None
    return _checked(filename, header, rows)


def _xlsx_text(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    return str(value)


def _checked(filename, header, rows):
    if not header or not any(cell.strip() for cell in header):
        raise TableError("no header row", filename, 1)
    if len(header) > MAX_COLUMNS:
        raise TableError(f"more than {MAX_COLUMNS} columns", filename, 1)
    if len(rows) > MAX_ROWS:
        raise TableError(f"more than {MAX_ROWS:,} rows", filename)
    rows = [(n, cells) for n, cells in rows if "".join(cells).strip()]
    if not rows:
        raise TableError("the file has a header but no rows", filename)
    return Table(filename, [h.strip() for h in header], rows)

# Copyright 2026 SPP Payments contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0).
import pytest
from spp_payment_core import points, tables
from spp_payment_core.points import FieldSpec

FIELDS = {
    "partner_id.city": FieldSpec("char", "City"),
    "partner_id.area_id": FieldSpec("many2one", "Area", hierarchical=True),
    "partner_id.has_disability": FieldSpec("boolean", "Disability"),
    "channel": FieldSpec(
        "selection", "Channel", choices=(("digital", "Digital"), ("cash", "Cash"))
    ),
    "partner_id.birthdate": FieldSpec("date", "Birthdate"),
    "entitled_total": FieldSpec("float", "Entitled"),
}
AREAS = {"KSM": 7, "NRB": 8}


def describe(path):
    return FIELDS.get(path) or f"the membership has no field {path}"


def parse(text, existing=()):
    table = tables.read_table(text.encode(), "points.csv")
    columns, errors = points.criteria_columns(table, describe)
    lookups = {
        c.path: {t: AREAS[t] for t in points.column_texts(table, c) if t in AREAS}
        for c in columns
        if c.spec.kind == "many2one"
    }
    result = points.parse_points(
        table, columns, lookups, existing_codes=existing, area_codes=AREAS
    )
    return errors, result


def where(errors):
    return [(e.row, e.column, e.message) for e in errors]


def test_clean_file_gives_points_and_domains():
    errors, result = parse(
        "code,name,area_code,latitude,longitude,radius_m,capacity,"
        "partner_id.city,partner_id.area_id,channel\n"
        "P1,Kisumu market,KSM,-0.0917,34.768,300,800,Kondele|Manyatta,,Cash\n"
        "P2,Nairobi,,,,,,,NRB,\n"
    )
    assert errors == [] and result.errors == []
    first, second = result.rows
    assert (first.row, first.code, first.area_code, first.radius_m) == (
        2,
        "P1",
        "KSM",
        300,
    )
    assert str(first.latitude) == "-0.0917"
    assert first.domain() == [
        ("partner_id.city", "in", ["Kondele", "Manyatta"]),
        ("channel", "=", "cash"),
    ]
    assert second.domain() == [("partner_id.area_id", "child_of", [8])]
    assert second.radius_m is None and second.latitude is None


def test_every_bad_cell_is_explained_with_row_and_column():
    errors, result = parse(
        "code,name,area_code,latitude,longitude,radius_m,capacity,"
        "partner_id.has_disability,partner_id.birthdate,entitled_total\n"
        "P1,One,KSM,,,,,yes,,\n"
        "P1,Dup,XXX,95,10,0,-1,maybe,2026-13-01,ten\n"
        ",,,,,,,,,\n"
        "P3,,,1,,,,true,,\n"
        "P4,Empty,,,,,,,,\n"
        "bad code,Four,,,,,,no,,\n"
        "P5,=cmd,,,,,,no,,\n"
    )
    assert errors == []
    got = where(result.errors)
    assert (3, "code", "P1 is already the code of row 2") in got
    assert (3, "area_code", "no area has the code 'XXX'") in got
    assert (3, "latitude", "95 is outside -90..90") in got
    assert (3, "radius_m", "'0' is not a whole number of at least 1") in got
    assert (3, "capacity", "'-1' is not a whole number of at least 0") in got
    assert (
        3,
        "partner_id.has_disability",
        "'maybe' is not yes/no (true, false, 1, 0)",
    ) in got
    assert (3, "partner_id.birthdate", "'2026-13-01' is not a date (YYYY-MM-DD)") in got
    assert (3, "entitled_total", "'ten' is not a number") in got
    assert (5, "name", "a point needs a name") in got
    assert (5, "longitude", "a GPS location needs both latitude and longitude") in got
    assert any(r == 6 and c == "" and m.startswith("no criteria") for r, c, m in got)
    assert any(r == 7 and c == "code" for r, c, _m in got)
    assert (8, "name", "a formula, not a value; type the value itself") in got
    # The blank row is skipped, not reported; only the clean row parses.
    assert not any(r == 4 for r, _c, _m in got)
    assert [row.code for row in result.rows] == ["P1"]


def test_existing_codes_are_refused():
    _errors, result = parse("code,name,partner_id.city\nP1,One,X\n", existing={"P1"})
    assert where(result.errors) == [
        (2, "code", "a payment point with code P1 already exists")
    ]


def test_header_errors_name_the_column():
    table = tables.read_table(
        b"code,capacty,partner_id.nope,Partner_ID.City,a.b.c.d,partner_id.area_id,CODE\n"
        b"P1,1,x,y,z,w,P1\n",
        "p.csv",
    )
    columns, errors = points.criteria_columns(table, describe)
    assert [c.path for c in columns] == ["partner_id.area_id"]
    got = {e.column: e.message for e in errors}
    assert got["name"].startswith("missing column")
    assert "the membership has no field capacty" in got["capacty"]
    assert "no field partner_id.nope" in got["partner_id.nope"]
    assert "lower-case" in got["Partner_ID.City"]
    assert "at most 3 fields deep" in got["a.b.c.d"]
    assert got["CODE"] == "the column appears twice (columns 1 and 7)"
    assert all(e.row == 1 for e in errors)


@pytest.mark.parametrize(
    ("spec", "text", "value"),
    [
        (FieldSpec("integer"), "-4", -4),
        (FieldSpec("boolean"), "No", False),
        (FieldSpec("selection", choices=(("a", "Alpha"),)), "alpha", "a"),
        (FieldSpec("date"), "2026-01-31", "2026-01-31"),
        (FieldSpec("many2one"), "K", 3),
    ],
)
def test_convert(spec, text, value):
    assert points.convert(text, spec, {"K": 3}) == (value, "")


def test_ambiguous_link_is_refused():
    value, problem = points.convert(
        "K", FieldSpec("many2one", "FSP", key_name="name"), {"K": [1, 2]}
    )
    assert value is None and problem.startswith("2 records have the name 'K'")

"""Files that are small but would cost minutes or megabytes of errors, hidden sheets, formulas
without saved results, and rows a secretary may not import: each is answered quickly, with
short errors, all problems at once."""

from __future__ import annotations

import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from occupancy.register import (
    RegisterImportError,
    parse_register_data,
    parse_register_xlsx,
    xlsxfile,
)
from occupancy.register import validate as validate_module
from occupancy.register.errors import RegisterRowError
from occupancy.register.validate import MAX_PROBLEMS, MoreProblems, cap_problems

HEADER = ["unit_id", "community", "registered_occupants"]

_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/'
    'worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType='
    '"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
    'Target="sharedStrings.xml"/></Relationships>'
)
_HEADER_ROW = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c>'
    '<c r="C1" t="s"><v>2</v></c></row>'
)


def raw_xlsx(path: Path, rows_xml: str, shared: list[str] = ()) -> bytes:  # type: ignore[assignment]
    """An .xlsx written part by part, as a crafted (or careless) program could: row 1 is the
    header (shared strings 0-2), ``shared`` adds strings 3, 4, ..."""
    strings = "".join(f"<si><t>{text}</t></si>" for text in [*HEADER, *shared])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"{strings}</sst>",
        )
        archive.writestr(
            "xl/worksheets/sheet1.xml",
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{_HEADER_ROW}{rows_xml}</sheetData></worksheet>",
        )
    return path.read_bytes()


def _refused(data: bytes, **options: object) -> RegisterImportError:
    with pytest.raises(RegisterImportError) as caught:
        parse_register_data(data, **options)  # type: ignore[arg-type]
    return caught.value


# -- (a) a workbook unpacking to far more than a register -----------------------------------


def test_a_highly_compressed_part_is_refused_before_openpyxl_reads_it(tmp_path: Path) -> None:
    row = '<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="s"><v>3</v></c></row>'
    data = raw_xlsx(tmp_path / "bomb.xlsx", row, ["A" * 30_000_000])
    assert len(data) < 100_000
    started = time.perf_counter()
    exc = _refused(data)
    assert time.perf_counter() - started < 2
    (error,) = exc.errors
    assert error.message.startswith("the workbook expands to 30 MB when opened")
    assert "save it again in Excel or WPS, or split it" in error.message


def test_a_workbook_unpacking_past_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = raw_xlsx(tmp_path / "r.xlsx", '<row r="2"><c r="C2"><v>1</v></c></row>')
    monkeypatch.setattr(xlsxfile, "MAX_UNPACKED_BYTES", 1000)
    (error,) = _refused(data).errors
    assert "expands to 0 MB" in error.message and error.row == 1 and not error.letter


# -- (b) a stray far-right cell, and too many rows ------------------------------------------


def test_a_far_right_cell_in_every_row_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each row with a value in column XFD (16,384) would be padded to 16,384 cells; only the
    header's columns are read, so 20,000 such rows take well under a second of validation."""
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>U-{i}</t></is></c>'
        f'<c r="B{i}" t="s"><v>3</v></c><c r="C{i}"><v>1</v></c><c r="XFD{i}"><v>1</v></c></row>'
        for i in range(2, 20_002)
    )
    data = raw_xlsx(tmp_path / "wide.xlsx", rows, ["甲"])
    widths: set[int] = set()
    below = xlsxfile.validate_below

    def spy(header, rows, **options):  # type: ignore[no-untyped-def]
        def measured():  # type: ignore[no-untyped-def]
            for number, cells in rows:
                widths.add(len(cells))
                yield number, cells

        return below(header, measured(), **options)

    monkeypatch.setattr(xlsxfile, "validate_below", spy)
    started = time.perf_counter()
    parsed = parse_register_data(data)
    assert time.perf_counter() - started < 10  # minutes before; about 1 s on a busy machine
    assert len(parsed.entries) == 20_000 and widths == {3}


def test_more_units_than_the_limit_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_module, "MAX_ROWS", 5)
    text = "unit_id,community,registered_occupants\n" + "".join(
        f"U-{i},甲,1\n\n" for i in range(10)
    )
    exc = _refused(text.encode(), skip_bad=True)
    (error,) = exc.errors
    assert error.row == 12 and "more than 5 units; split it" in error.message


def test_rows_past_excels_last_row_are_refused(tmp_path: Path) -> None:
    """A row numbered past 1,048,576 (one line of XML) is not followed to its end."""
    row = '<row r="1048600"><c r="A1048600"><v>1</v></c></row>'
    data = raw_xlsx(tmp_path / "far.xlsx", row)
    (error,) = _refused(data).errors
    assert error.row == 1_048_577 and "past row 1,048,576" in error.message


# -- (c) a huge cell ------------------------------------------------------------------------


def test_a_million_character_cell_is_refused_without_reading_it_through(tmp_path: Path) -> None:
    huge = "号" * 1_000_000
    rows = "".join(
        f'<row r="{i}"><c r="A{i}" t="s"><v>3</v></c><c r="B{i}" t="s"><v>3</v></c>'
        f'<c r="C{i}" t="s"><v>3</v></c></row>'
        for i in range(2, 2002)
    )
    data = raw_xlsx(tmp_path / "huge.xlsx", rows, [huge])
    started = time.perf_counter()
    exc = _refused(data)
    assert time.perf_counter() - started < 10  # about 20 s before (every character checked)
    first = exc.errors[:3]
    assert [(e.row, e.letter) for e in first] == [(2, "A"), (2, "B"), (2, "C")]
    assert first[0].message == "is 1000000 characters long; shorten it to at most 64"
    assert "far too long for this column" in first[2].message
    assert all(len(e.value) <= 101 and e.value.endswith("…") for e in exc.errors[:-1])
    assert len(str(exc)) < 400_000


def test_a_long_ignored_header_is_cut_in_the_warning() -> None:
    text = f"unit_id,community,registered_occupants,{'备注' * 5000}\nU-1,甲,1,x\n"
    parsed = parse_register_data(text.encode())
    (warning,) = parsed.warnings
    assert len(warning) < 200 and "…" in warning


# -- (d) many bad rows ----------------------------------------------------------------------


def _bad_rows(count: int, good: int = 0) -> bytes:
    lines = ["unit_id,community,registered_occupants"]
    lines += [f"x/{i},甲,-1" for i in range(count)]
    lines += [f"OK-{i},甲,1" for i in range(good)]
    return ("\n".join(lines) + "\n").encode()


def test_problems_past_the_first_thousand_are_counted_not_listed() -> None:
    exc = _refused(_bad_rows(3000))
    assert len(exc.errors) == MAX_PROBLEMS + 1
    listed, more = exc.errors[:-1], exc.errors[-1]
    assert [(e.row, e.letter) for e in listed[:2]] == [(2, "A"), (2, "C")]
    assert isinstance(more, MoreProblems) and (more.problems, more.rows) == (5000, 2500)
    assert more.row == 502 and more.message.startswith("and 5,000 more problems from this row")
    assert len(str(exc)) < 200_000


def test_skipping_bad_rows_still_skips_the_unlisted_ones() -> None:
    parsed = parse_register_data(_bad_rows(3000, good=7), skip_bad=True)
    assert [e.unit_id for e in parsed.entries] == [f"OK-{i}" for i in range(7)]
    assert len(parsed.skipped) == MAX_PROBLEMS + 1
    assert isinstance(parsed.skipped[-1], MoreProblems) and parsed.skipped[-1].rows == 2500


def test_cap_problems_merges_counted_and_listed() -> None:
    errors: list[RegisterRowError] = [
        RegisterRowError(i, "c", "v", "m", "A") for i in range(2, MAX_PROBLEMS + 2)
    ]
    capped = cap_problems([*errors, RegisterRowError(5000, "c", "v", "m", "B")])
    assert capped[:-1] == errors
    assert isinstance(capped[-1], MoreProblems) and capped[-1].row == 5000
    merged = cap_problems([*capped, RegisterRowError(6000, "c", "v", "m", "A")])
    assert (merged[-1].problems, merged[-1].rows) == (2, 2)
    assert cap_problems(errors[:3]) == errors[:3]


# -- hidden sheets and formulas -------------------------------------------------------------


def _saved(workbook: Workbook, path: Path) -> bytes:
    workbook.save(path)
    return path.read_bytes()


def test_a_hidden_first_sheet_is_skipped_with_a_warning(tmp_path: Path) -> None:
    workbook = Workbook()
    old = workbook.active
    old.title = "旧"
    old.append(HEADER)
    old.append(["OLD-1", "甲", 9])
    old.sheet_state = "hidden"
    new = workbook.create_sheet("登记表")
    new.append(HEADER)
    new.append(["NEW-1", "甲", 1])
    data = _saved(workbook, tmp_path / "r.xlsx")
    parsed = parse_register_data(data)
    assert [e.unit_id for e in parsed.entries] == ["NEW-1"]
    assert parsed.warnings == [
        'read the sheet "登记表" and skipped the hidden sheet(s) "旧"; to read a hidden sheet, '
        "name it"
    ]
    assert [e.unit_id for e in parse_register_data(data, sheet="旧").entries] == ["OLD-1"]


def test_a_formula_without_a_saved_value_is_an_error(tmp_path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([*HEADER, "备注"])
    sheet.append(["A-1", "甲", 2, "=1+1"])  # an ignored column: no error
    sheet.append(['="A-"&2', '="甲"', "=1+1"])
    exc = _refused(_saved(workbook, tmp_path / "f.xlsx"))
    assert [(e.row, e.letter, e.value) for e in exc.errors] == [
        (3, "A", '="A-"&2'),
        (3, "B", '="甲"'),
        (3, "C", "=1+1"),
    ]
    assert exc.errors[0].message.startswith("has a formula without a saved value; open the file")


def test_formulas_with_saved_values_read_as_their_values(tmp_path: Path) -> None:
    rows = (
        '<row r="2"><c r="A2" t="str"><f>"A-"&amp;2</f><v>A-2</v></c>'
        '<c r="B2" t="s"><v>3</v></c><c r="C2"><f>1+1</f><v>2</v></c></row>'
        '<row r="3"><c r="A3" t="inlineStr"><is><t>A-3</t></is></c>'
        '<c r="B3" t="s"><v>3</v></c><c r="C3"><v>1</v></c>'
        '<c r="D3" t="str"><f>IF(1,"","x")</f><v></v></c></row>'
    )
    parsed = parse_register_xlsx(raw_xlsx(tmp_path / "v.xlsx", rows, ["甲"]))
    assert [(e.unit_id, e.registered_occupants) for e in parsed.entries] == [("A-2", 2), ("A-3", 1)]


def test_an_empty_text_result_is_a_saved_value(tmp_path: Path) -> None:
    rows = (
        '<row r="2"><c r="A2" t="inlineStr"><is><t>A-2</t></is></c>'
        '<c r="B2" t="s"><v>3</v></c><c r="C2" t="str"><f>IF(1,"","x")</f><v></v></c></row>'
    )
    exc = _refused(raw_xlsx(tmp_path / "e.xlsx", rows, ["甲"]))
    (error,) = exc.errors
    assert error.letter == "C" and error.message.startswith("is empty")


# -- rows of other communities ---------------------------------------------------------------


def test_rows_of_other_communities_are_reported_with_every_other_problem() -> None:
    text = "unit_id,community,registered_occupants\nA-1,甲,1\nA-2,乙,1\nA-3,乙,oops\nA-4,甲/,1\n"
    exc = _refused(text.encode(), communities={"甲"})
    assert [(e.row, e.letter) for e in exc.errors] == [(3, "B"), (4, "B"), (4, "C"), (5, "B")]
    assert exc.errors[0].message == "is not your community; you may import only rows of 甲"
    assert "MQTT" in exc.errors[3].message  # its own problem, not a second one
    nobody = _refused(text.encode(), communities=set(), skip_bad=False)
    assert nobody.errors[0].message.endswith("only rows of -")
    assert len(parse_register_data(text.encode(), skip_bad=True).skipped) == 2

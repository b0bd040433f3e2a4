"""``/api/register``: the move-in register for scripts: list, read, create, replace and delete
units, and import a CSV or XLSX file.

Scoping follows the rest of the API: a unit outside the caller's scope answers 404 as if it
did not exist; a secretary may write only units of their own community (creating or moving
one elsewhere is 403, a file row of another community is an error naming its row and
column). Every read, change and import is audited, and every change leaves a ``UnitVersion``
(source ``api``, or ``import:FILE``) so the register's history says who did what.

The import logic (``import_upload``) is shared with the import page; it raises nothing
HTTP-shaped, the routes decide the status codes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, HTTPException, Query, Request, UploadFile
from fastapi import Path as PathParam
from fastapi.responses import Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from occupancy.api.deps import Requires, SessionDep, client_address
from occupancy.api.schemas_errors import EntryRefused, ImportRefusedReply, unprocessable
from occupancy.api.schemas_register import (
    FieldProblem,
    ImportRefused,
    ImportResult,
    RegisterEntryIn,
    RegisterUnitDetail,
    RegisterUnitIn,
    RegisterUnitOut,
    RegisterUnitsOut,
    RowProblem,
    UnitVersionOut,
)
from occupancy.audit.log import listed, record
from occupancy.auth.principal import Principal
from occupancy.db.tables import Unit
from occupancy.register.cells import cell_text
from occupancy.register.entry import RegisterEntry
from occupancy.register.errors import RegisterImportError, RegisterRowError
from occupancy.register.files import is_xlsx, parse_register_data
from occupancy.register.repository import (
    ImportSummary,
    delete_unit,
    import_entries,
    unit_history,
)
from occupancy.register.validate import (
    HEADER_ALIASES,
    REQUIRED_FIELDS,
    MoreProblems,
    cap_problems,
    validate_rows,
)
from occupancy.register.xlsxfile import HEADER_COLUMNS, pick_worksheet
from occupancy.spreadsheet import column_letter, decode_sheet, map_header

router = APIRouter(prefix="/register", tags=["register"])

Reader = Annotated[Principal, Depends(Requires("register.read"))]
Writer = Annotated[Principal, Depends(Requires("register.write"))]
UnitIdPath = Annotated[str, PathParam(description="The unit's ID as in the register.")]

#: Largest register file accepted: a 20,000-row XLSX is about 1 MB, a CSV about 2 MB, so this
#: leaves room for wide sheets while refusing a wrong file (a photo, a backup) early.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Source of history rows written through this API.
API_SOURCE = "api"
_ENTRY_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(RegisterEntry))
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "No such unit in the register, or not one you may see."}
}
_ENTRY_REFUSED = unprocessable(
    EntryRefused, "Invalid request, or the entry has problems (in `detail.errors`)."
)


# -- one entry: the file validator, on a body ----------------------------------------------


class EntryInvalid(ValueError):
    """A body the register's row validator refused; ``problems`` in its words."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field} {p.message}" for p in problems))


def check_entry(unit_id: str, body: RegisterEntryIn) -> RegisterEntry:
    """The entry a body describes, checked by the same validator as a file's rows: the
    body becomes a one-row sheet whose header is the field names."""
    values = body.model_dump(exclude={"simulated"})
    values["unit_id"] = unit_id
    header = list(_ENTRY_FIELDS)
    cells = [values.get(name) for name in header]
    try:
        parsed = validate_rows([(1, header), (2, cells)])
    except RegisterImportError as exc:
        raise EntryInvalid(
            [FieldProblem(field=e.column, value=e.value, message=e.message) for e in exc.errors]
        ) from None
    if not parsed.entries:  # an all-blank row is passed over by the validator
        message = "is empty; every row needs the unit's ID"
        raise EntryInvalid([FieldProblem(field="unit_id", value="", message=message)])
    return parsed.entries[0]


def _invalid(exc: EntryInvalid) -> HTTPException:
    return HTTPException(
        status_code=422,
        detail={
            "message": "the entry has problems; nothing was saved",
            "errors": [p.model_dump() for p in exc.problems],
        },
    )


# -- reading ---------------------------------------------------------------------------------


@router.get("/units", response_model=RegisterUnitsOut)
def list_units(
    request: Request,
    user: Reader,
    session: SessionDep,
    community: Annotated[str | None, Query(max_length=64)] = None,
    grid: Annotated[str | None, Query(max_length=64)] = None,
    building: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> RegisterUnitsOut:
    """Register entries you may see, by unit ID. ``count`` is the total matching the filters,
    for paging with ``limit`` and ``offset``."""
    conditions = [user.unit_clause()]
    for column, value in (
        (Unit.community, community),
        (Unit.grid, grid),
        (Unit.building, building),
    ):
        if value is not None:
            conditions.append(column == value)
    count = session.scalar(select(func.count()).select_from(Unit).where(*conditions)) or 0
    units = session.scalars(
        select(Unit).where(*conditions).order_by(Unit.unit_id).limit(limit).offset(offset)
    ).all()
    record(
        session,
        user,
        "view",
        "register",
        community=user.community or community or "",
        detail=listed(f"list of {len(units)} units", [u.unit_id for u in units]),
        address=client_address(request),
    )
    session.commit()
    return RegisterUnitsOut(data=[RegisterUnitOut.model_validate(u) for u in units], count=count)


def _visible_unit(session: Session, user: Principal, unit_id: str) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not user.sees_unit(unit):
        raise HTTPException(status_code=404, detail=f"no unit {unit_id!r} in the register")
    return unit


@router.get("/units/{unit_id:path}", response_model=RegisterUnitDetail, responses=_NOT_FOUND)
def read_unit(
    request: Request, unit_id: UnitIdPath, user: Reader, session: SessionDep
) -> RegisterUnitDetail:
    """One register entry and every recorded change of it, oldest first."""
    unit = _visible_unit(session, user, unit_id)
    detail = RegisterUnitDetail(
        entry=RegisterUnitOut.model_validate(unit),
        history=[UnitVersionOut.model_validate(v) for v in unit_history(session, unit_id)],
    )
    record(
        session,
        user,
        "view",
        "unit",
        unit_id,
        community=unit.community,
        detail="register entry and history",
        address=client_address(request),
    )
    session.commit()
    return detail


# -- changing one entry ----------------------------------------------------------------------


def _may_write(user: Principal, community: str) -> bool:
    """Admins write anywhere; a secretary only in their own community."""
    return user.is_admin or (bool(user.community) and community == user.community)


def _check_simulated(user: Principal, wanted: bool | None, current: bool) -> bool:
    """The ``simulated`` mark to store; only an admin may change it."""
    if wanted is None or wanted == current:
        return current
    if not user.is_admin:
        raise HTTPException(status_code=403, detail="only an admin may mark units as simulated")
    return wanted


@router.post(
    "/units",
    response_model=RegisterUnitOut,
    status_code=201,
    responses={
        403: {"description": "A secretary may create units only in their own community."},
        409: {"description": "A unit with this ID is already registered."},
        **_ENTRY_REFUSED,
    },
)
def create_unit(
    request: Request, body: RegisterUnitIn, user: Writer, session: SessionDep
) -> RegisterUnitOut:
    """Add a unit to the register."""
    try:
        entry = check_entry(body.unit_id, body)
    except EntryInvalid as exc:
        raise _invalid(exc) from None
    if not _may_write(user, entry.community):
        raise HTTPException(
            status_code=403,
            detail=f"you may add units only to your own community ({user.community or '-'})",
        )
    simulated = _check_simulated(user, body.simulated, False)
    conflict = HTTPException(status_code=409, detail=f"unit {entry.unit_id!r} already exists")
    if session.get(Unit, entry.unit_id) is not None:
        raise conflict
    try:
        import_entries(
            session, [entry], source=API_SOURCE, changed_by=user.username, simulated=simulated
        )
        record(
            session,
            user,
            "create",
            "unit",
            entry.unit_id,
            community=entry.community,
            address=client_address(request),
        )
        session.commit()
    except IntegrityError:  # created by someone else a moment ago
        session.rollback()
        raise conflict from None
    return RegisterUnitOut.model_validate(session.get(Unit, entry.unit_id))


@router.put(
    "/units/{unit_id:path}",
    response_model=RegisterUnitOut,
    responses={
        **_NOT_FOUND,
        403: {"description": "A secretary may not move a unit to another community."},
        **_ENTRY_REFUSED,
    },
)
def replace_unit(
    request: Request, unit_id: UnitIdPath, body: RegisterEntryIn, user: Writer, session: SessionDep
) -> RegisterUnitOut:
    """Replace a unit's register entry (fields left out become empty)."""
    unit = _visible_unit(session, user, unit_id)
    try:
        entry = check_entry(unit_id, body)
    except EntryInvalid as exc:
        raise _invalid(exc) from None
    if not _may_write(user, entry.community) or not _may_write(user, unit.community):
        raise HTTPException(
            status_code=403,
            detail=f"you may not move a unit out of your community ({user.community or '-'})",
        )
    simulated = _check_simulated(user, body.simulated, bool(unit.simulated))
    summary = import_entries(
        session, [entry], source=API_SOURCE, changed_by=user.username, simulated=simulated
    )
    record(
        session,
        user,
        "update",
        "unit",
        unit_id,
        community=entry.community,
        detail="unchanged" if summary.unchanged else "",
        address=client_address(request),
    )
    session.commit()
    return RegisterUnitOut.model_validate(session.get(Unit, unit_id))


@router.delete("/units/{unit_id:path}", status_code=204, responses=_NOT_FOUND)
def remove_unit(
    request: Request, unit_id: UnitIdPath, user: Writer, session: SessionDep
) -> Response:
    """Remove a unit from the register; its history keeps the last entry, and its flags stay
    (an open flag is still a prompt for a visit)."""
    unit = _visible_unit(session, user, unit_id)
    if not _may_write(user, unit.community):  # pragma: no cover - scope already said 404
        raise HTTPException(status_code=403, detail="not a unit of your community")
    community = unit.community
    delete_unit(session, unit_id, source=API_SOURCE, changed_by=user.username)
    record(
        session,
        user,
        "delete",
        "unit",
        unit_id,
        community=community,
        address=client_address(request),
    )
    session.commit()
    return Response(status_code=204)


# -- importing a file ------------------------------------------------------------------------


class UploadTooLarge(ValueError):
    """A file over ``MAX_UPLOAD_BYTES``."""


class RegisterChanged(RuntimeError):
    """Another request created a unit this import was about to create, after the import read
    the register and before it wrote (two imports of the same new units at once). Nothing was
    imported; trying again imports the file against the register as it now is."""


#: What a caller is told when ``RegisterChanged`` stops an import.
REGISTER_CHANGED = "the register changed while importing; nothing was imported, try again"


def read_upload(upload: UploadFile) -> bytes:
    """The uploaded bytes, refusing more than ``MAX_UPLOAD_BYTES`` (Starlette has already
    spooled a big part to a temporary file, so this reads from disk, not from the socket)."""
    upload.file.seek(0)
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadTooLarge(f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    return data


def upload_name(filename: str | None) -> str:
    """The file's own name (browsers on Windows may send a full path), for history rows."""
    name = re.split(r"[\\/]", filename or "")[-1].strip()
    return name[:150] or "upload"


@dataclass
class ImportOutcome:
    """What an import of one file came to. ``errors`` non-empty and ``summary`` None: refused,
    nothing imported. ``valid`` counts the rows that would import (or did)."""

    file: str
    errors: list[RegisterRowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    summary: ImportSummary | None = None
    valid: int = 0

    @property
    def refused(self) -> bool:
        return self.summary is None

    @property
    def problem_count(self) -> int:
        """Every problem, the ones counted past the listed ``MAX_PROBLEMS`` included."""
        more = sum(e.problems - 1 for e in self.errors if isinstance(e, MoreProblems))
        return len(self.errors) + more

    @property
    def bad_rows(self) -> int:
        rows = {
            e.row for e in self.errors if (e.letter or e.column) and not isinstance(e, MoreProblems)
        }
        return len(rows) + sum(e.rows for e in self.errors if isinstance(e, MoreProblems))

    @property
    def can_skip(self) -> bool:
        """Importing only the valid rows is possible: the problems are in rows, not in the
        file as a whole (a missing column or an unreadable file), and some rows are valid."""
        return self.valid > 0 and all(e.letter or isinstance(e, MoreProblems) for e in self.errors)


def import_upload(
    session: Session,
    user: Principal,
    data: bytes,
    filename: str,
    *,
    skip_bad: bool = False,
    simulated: bool = False,
    sheet: str | None = None,
    address: str = "",
) -> ImportOutcome:
    """Validate a register file completely, then import it in one transaction, or nothing.

    Every problem is collected: bad cells, and for a secretary rows of another community and
    unit IDs registered in another community (they may not take those over). With
    ``skip_bad`` the valid rows are imported and the problems come back as skipped. The
    attempt is audited either way (a refused import says so) and committed. The first
    ``MAX_PROBLEMS`` (1,000) problems are listed, the rest counted in a last entry.
    """
    name = upload_name(filename)
    # A secretary's rows of other communities are found by the validator, with every
    # other problem of the file.
    mine = None if user.is_admin else {user.community} if user.community else set()
    try:
        parsed = parse_register_data(data, sheet=sheet, skip_bad=True, communities=mine)
    except RegisterImportError as exc:  # the file as a whole: unreadable, header missing
        outcome = ImportOutcome(name, exc.errors, exc.warnings)
        _audit_import(session, user, outcome, address)
        return outcome
    entries, errors = parsed.entries, list(parsed.skipped)
    if not user.is_admin:
        refused = _outside_scope(session, user, entries)
        if refused:
            errors += _row_errors(data, sheet, dict(refused))
            errors.sort(key=lambda e: (e.row, len(e.letter), e.letter))
            errors = cap_problems(errors)
            entries = [e for e in entries if e.unit_id not in refused]
    outcome = ImportOutcome(name, errors, list(parsed.warnings), valid=len(entries))
    if not errors or skip_bad:
        try:
            outcome.summary = import_entries(
                session,
                entries,
                source=f"import:{name}",
                changed_by=user.username,
                # Only an admin sets the mark; anyone else's import keeps each unit's own.
                simulated=simulated if user.is_admin else None,
            )
        except IntegrityError:  # a unit to create was created by another request meanwhile
            session.rollback()
            record(
                session,
                user,
                "import",
                "register",
                name,
                community=user.community,
                detail=f"failed: {REGISTER_CHANGED}",
                address=address,
            )
            session.commit()
            raise RegisterChanged(REGISTER_CHANGED) from None
    _audit_import(session, user, outcome, address, entries)
    return outcome


def _outside_scope(
    session: Session, user: Principal, entries: Sequence[RegisterEntry]
) -> dict[str, tuple[str, str]]:
    """unit ID -> (field, message) for each entry a non-admin may not import: a unit already
    registered in another community (rows naming another community are validation errors)."""
    refused: dict[str, tuple[str, str]] = {}
    mine = user.community or "-"
    ids = [e.unit_id for e in entries]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        query = select(Unit.unit_id).where(Unit.unit_id.in_(chunk), Unit.community != mine)
        for unit_id in session.scalars(query):
            refused[unit_id] = (
                "unit_id",
                "is registered in another community; only an administrator can move it",
            )
    return refused


def _row_errors(
    data: bytes, sheet: str | None, refused: dict[str, tuple[str, str]]
) -> list[RegisterRowError]:
    """Row, column and letter of each refused unit, found by reading the sheet again.

    The parser returns entries without their row numbers, so the (already validated) file is
    read a second time, only when a secretary's file has rows they may not import.
    """
    by_header = {a.lower(): name for name, aliases in HEADER_ALIASES.items() for a in aliases}
    columns: dict[str, int] | None = None
    texts: list[str] = []
    errors: list[RegisterRowError] = []
    for number, cells in _sheet_rows(data, sheet):
        if columns is None:
            texts = [cell_text(c).strip() for c in cells]
            mapped, _, _ = map_header(texts, by_header, "register")
            if all(name in mapped for name in REQUIRED_FIELDS):
                columns = mapped
            continue
        index = columns["unit_id"]
        unit_id = cell_text(cells[index]).strip() if index < len(cells) else ""
        if unit_id not in refused:
            continue
        name, message = refused.pop(unit_id)
        at = columns[name]
        value = cell_text(cells[at]).strip() if at < len(cells) else ""
        errors.append(RegisterRowError(number, texts[at], value, message, column_letter(at)))
    return errors


def _sheet_rows(data: bytes, sheet: str | None) -> Iterator[tuple[int, Sequence[object]]]:
    """The numbered rows of a file the register parser has already read successfully."""
    if is_xlsx(data):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            worksheet = pick_worksheet(workbook, sheet, [])
            worksheet.reset_dimensions()
            rows = worksheet.iter_rows(values_only=True, max_col=HEADER_COLUMNS)
            yield from enumerate(rows, start=1)
        finally:
            workbook.close()
    else:
        reader = csv.reader(io.StringIO(decode_sheet(data) or "", newline=""))
        yield from enumerate(reader, start=1)


def _audit_import(
    session: Session,
    user: Principal,
    outcome: ImportOutcome,
    address: str,
    entries: Sequence[RegisterEntry] = (),
) -> None:
    communities = {e.community for e in entries}
    community = user.community or (communities.pop() if len(communities) == 1 else "")
    summary = outcome.summary
    if summary is None:
        detail = f"refused: {outcome.problem_count} problems, nothing imported"
    else:
        detail = (
            f"created {summary.created}, updated {summary.updated}, "
            f"unchanged {summary.unchanged}, skipped {outcome.bad_rows} bad rows"
        )
    record(
        session,
        user,
        "import",
        "register",
        outcome.file,
        community=community,
        detail=detail,
        address=address,
    )
    session.commit()


def problems(errors: Sequence[RegisterRowError]) -> list[RowProblem]:
    return [
        RowProblem(row=e.row, column=e.column, letter=e.letter, value=e.value, message=e.message)
        for e in errors
    ]


@router.post(
    "/import",
    response_model=ImportResult,
    responses={
        403: {"description": "Only an admin may import simulated units."},
        409: {"description": "The register changed while importing; nothing was imported."},
        413: {"description": f"The file is larger than {MAX_UPLOAD_BYTES} bytes."},
        **unprocessable(
            ImportRefusedReply,
            "Invalid request, or the file has problems (listed in `detail.errors`); "
            "nothing was imported.",
        ),
    },
)
def import_register(
    request: Request,
    user: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="Register .xlsx workbook or CSV file.")],
    skip_bad: Annotated[
        bool, Form(description="Import the valid rows of a file with bad ones.")
    ] = False,
    simulated: Annotated[
        bool, Form(description="Admins only: mark the units as simulated.")
    ] = False,
    sheet: Annotated[
        str | None, Form(max_length=100, description="Worksheet to read (default: the first).")
    ] = None,
    skip_bad_query: Annotated[bool, Query(alias="skip_bad")] = False,
    simulated_query: Annotated[bool, Query(alias="simulated")] = False,
) -> ImportResult:
    """Import a register CSV (UTF-8 or GB18030) or XLSX file, Chinese or English headers.

    Any bad row and nothing is imported: the answer (422) lists every problem by row and
    column. With ``skip_bad`` (form field or query) the valid rows are imported and the bad
    ones come back as ``problems``. A secretary's file may only hold rows of their community.
    """
    skip_bad = skip_bad or skip_bad_query
    simulated = simulated or simulated_query
    if simulated and not user.is_admin:
        raise HTTPException(status_code=403, detail="only an admin may import simulated units")
    try:
        data = read_upload(file)
    except UploadTooLarge as exc:
        raise HTTPException(status_code=413, detail=str(exc)) from None
    try:
        outcome = import_upload(
            session,
            user,
            data,
            file.filename or "",
            skip_bad=skip_bad,
            simulated=simulated,
            sheet=sheet or None,
            address=client_address(request),
        )
    except RegisterChanged as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    if outcome.summary is None:
        count = outcome.problem_count
        refused = ImportRefused(
            message=f"{count} problem{'s' if count != 1 else ''} in {outcome.file}; "
            "nothing was imported",
            errors=problems(outcome.errors),
            warnings=outcome.warnings,
        )
        raise HTTPException(status_code=422, detail=refused.model_dump())
    summary = outcome.summary
    return ImportResult(
        file=outcome.file,
        created=summary.created,
        updated=summary.updated,
        unchanged=summary.unchanged,
        skipped=outcome.bad_rows,
        problems=problems(outcome.errors),
        warnings=outcome.warnings,
    )

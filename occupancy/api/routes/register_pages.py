"""The register import page: upload a file, see every problem in it, or what it imported.

A file with problems imports nothing and the page lists each one by row, column (letter and
header) and what to do, in Chinese or English. When the problems are in rows (not in the file
as a whole), a button imports only the valid rows. That second request needs the file again:
instead of asking for a second upload, the bytes are kept in ``var_dir/register-uploads`` under
a random token for ``STASH_MINUTES`` minutes, readable only by the person who uploaded them.
Each person has at most one kept upload (a new one replaces it), written 0600; every request
to the page sweeps away expired files and any successful import deletes the importer's kept
file, so register data does not linger on disk. All kept files together stay under
``MAX_KEPT_BYTES``: past it an upload is not kept and its sender is told so.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse

from occupancy.api.deps import PageDep, Requires, SessionDep, SettingsDep, client_address
from occupancy.api.i18n import Translator
from occupancy.api.routes.register import (
    MAX_UPLOAD_BYTES,
    ImportOutcome,
    RegisterChanged,
    UploadTooLarge,
    import_upload,
    read_upload,
    upload_name,
)
from occupancy.auth.principal import Principal
from occupancy.config import Settings
from occupancy.register.validate import HEADER_ALIASES

router = APIRouter(include_in_schema=False, default_response_class=HTMLResponse)
Writer = Annotated[Principal, Depends(Requires("register.write"))]
FormText = Annotated[str, Form(max_length=200)]

#: How long an uploaded file with problems is kept for "import only the valid rows".
STASH_MINUTES = 15
STASH_DIR = "register-uploads"
#: Most bytes kept for everyone together: beyond it an upload with problems is not kept (its
#: sender is told to fix the file and upload it again) rather than filling the disk.
MAX_KEPT_BYTES = 200 * 1024 * 1024
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_MB = MAX_UPLOAD_BYTES // (1024 * 1024)

#: The validator's English sentences and the ``regerr.*`` key saying each in the page's
#: language; groups become the key's placeholders. An unknown sentence is shown as it is.
PROBLEMS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), key)
    for p, key in [
        (r"is empty; every row needs the unit's ID", "regerr.unit_id_empty"),
        (r"is empty; every row needs the community name", "regerr.community_empty"),
        (
            r"contains (?P<chars>.+?), which cannot be used because this name becomes part of "
            r"MQTT topics; replace it with - or remove it",
            "regerr.topic_unsafe",
        ),
        (
            r"is (?P<length>\d+) characters long; shorten it to at most (?P<limit>\d+)",
            "regerr.too_long",
        ),
        (r"is not a whole number of people \(use 0 for nobody\)", "regerr.occupants_not_number"),
        (
            r"is empty; enter the number of people registered \(use 0 for nobody\)",
            "regerr.occupants_empty",
        ),
        (
            r"is negative; enter the number of people registered \(use 0 for nobody\)",
            "regerr.occupants_negative",
        ),
        (
            r"is more people than a home can hold \(at most (?P<limit>\d+)\); check the value "
            r"was typed into the right column",
            "regerr.occupants_too_many",
        ),
        (r"is not yes or no; .*", "regerr.not_yes_no"),
        (r"is a number, not a date; .*", "regerr.number_not_date"),
        (r"is not a date; .*", "regerr.not_date"),
        (r"is not a day of the calendar; .*", "regerr.not_calendar_day"),
        (
            r"is not a plausible date \(year (?P<year>-?\d+)\); check the year",
            "regerr.implausible_year",
        ),
        (
            r"is before the move-in date (?P<date>\S+) in column (?P<letter>[A-Z]+) "
            r"\((?P<header>.*)\); check both dates",
            "regerr.move_out_before_in",
        ),
        (
            r"already appears in row (?P<row>\d+); each unit may appear once, so merge or delete "
            r"one of the rows",
            "regerr.repeated_unit",
        ),
        (r"required column is missing; add a header named (?P<names>.+)", "regerr.column_missing"),
        (
            r'repeats column "(?P<first>.*)" \(both mean (?P<field>\w+)\); keep only one',
            "regerr.column_repeated",
        ),
        (r"the file is empty", "regerr.file_empty"),
        (r"the file is an old Excel \.xls file; .*", "regerr.xls"),
        (
            r'the file is CSV, which has no sheets; "(?P<sheet>.*)" applies to \.xlsx '
            r"workbooks only",
            "regerr.csv_no_sheets",
        ),
        (r"the file is neither UTF-8 nor GB18030 text; .*", "regerr.encoding"),
        (
            r'is not readable CSV \((?P<detail>.*)\); check for an unmatched quote character \("\)',
            "regerr.bad_csv",
        ),
        (r"the file is not a readable \.xlsx workbook \((?P<detail>.*)\)", "regerr.bad_xlsx"),
        (r"the workbook has no worksheet", "regerr.no_worksheet"),
        (
            r'the workbook has no sheet named "(?P<sheet>.*)"; its sheets are (?P<names>.*)',
            "regerr.no_such_sheet",
        ),
        (
            r"is not your community; you may import only rows of (?P<community>.+)",
            "regerr.other_community",
        ),
        (
            r"is registered in another community; only an administrator can move it",
            "regerr.unit_elsewhere",
        ),
        (
            r"has a formula without a saved value; open the file in Excel or WPS and save it "
            r"again, so the results are stored in it",
            "regerr.unsaved_formula",
        ),
        (
            r"is (?P<length>\d+) characters long, far too long for this column; check the value "
            r"was typed into the right column",
            "regerr.far_too_long",
        ),
        (
            r"contains the control character\(s\) (?P<chars>.+); retype the cell without them",
            "regerr.control_chars",
        ),
        (
            r"the workbook expands to (?P<mb>[\d,]+) MB when opened, far more than a register "
            r"needs; save it again in Excel or WPS, or split it",
            "regerr.expands",
        ),
        (
            r"the file has more than (?P<limit>[\d,]+) units; split it into files of at most "
            r"(?P<rows>[\d,]+) rows",
            "regerr.too_many_units",
        ),
        (
            r"the sheet has rows past row (?P<limit>[\d,]+), the last one Excel has; open the "
            r"file in Excel or WPS, save it again and retry",
            "regerr.past_last_row",
        ),
        (
            r"and (?P<count>[\d,]+) more problems? from this row on, not listed \(only the first "
            r"(?P<limit>[\d,]+) are\); fix these and check the file again",
            "regerr.more_problems",
        ),
        (
            r'column (?P<letter>[A-Z]+) "(?P<text>.*)" is not a register column and was ignored',
            "regerr.ignored_column",
        ),
        (
            r'read the first sheet, "(?P<first>.*)", of (?P<names>.*); if the register is on '
            r"another sheet, name that sheet",
            "regerr.first_sheet",
        ),
    ]
]


def problem_text(t: Translator, message: str) -> str:
    """A validator problem (or warning) in the page's language; English as written."""
    if t.language == "en":
        return message
    for pattern, key in PROBLEMS:
        match = pattern.fullmatch(message)
        if match:
            return t(key, **match.groupdict())
    return message


# -- keeping an upload for "import only the valid rows" -------------------------------------


def _stash_dir(settings: Settings) -> Path:
    return Path(settings.var_dir) / STASH_DIR


def _expired(path: Path, now: float) -> bool:
    """Whether a kept file is past ``STASH_MINUTES`` (FileNotFoundError if it is gone)."""
    return now - path.stat().st_mtime > STASH_MINUTES * 60


def sweep_uploads(settings: Settings, now: float | None = None) -> None:
    """Delete the kept files past ``STASH_MINUTES``; every request to the import page calls
    this, so an upload nobody came back for does not stay on disk."""
    directory = _stash_dir(settings)
    if not directory.is_dir():
        return
    now = time.time() if now is None else now
    for path in directory.glob("*"):
        try:
            if _expired(path, now):
                path.unlink()
        except FileNotFoundError:  # swept by a concurrent request
            pass


def _owner(meta_path: Path) -> int | None:
    try:
        return json.loads(meta_path.read_text(encoding="utf-8")).get("user_id")
    except (FileNotFoundError, ValueError, AttributeError):
        return None


def drop_uploads_of(settings: Settings, user: Principal) -> None:
    """Delete every file kept for ``user`` (each person has at most one kept upload)."""
    directory = _stash_dir(settings)
    if not directory.is_dir():
        return
    for meta_path in directory.glob("*.json"):
        if _owner(meta_path) == user.user_id:
            drop_upload(settings, meta_path.stem)


def _kept_bytes(directory: Path) -> int:
    total = 0
    for path in directory.glob("*"):
        with contextlib.suppress(FileNotFoundError):  # swept by a concurrent request
            total += path.stat().st_size
    return total


def _write_private(path: Path, data: bytes) -> None:
    """Write a new file readable by this service's user only (0600, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def stash_upload(
    settings: Settings, user: Principal, data: bytes, name: str, sheet: str | None
) -> str | None:
    """Keep the bytes of an upload with problems, replacing this person's earlier one;
    returns the token naming them, or None when the folder already holds ``MAX_KEPT_BYTES``
    (uploads of others, each kept for at most ``STASH_MINUTES``)."""
    directory = _stash_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    sweep_uploads(settings)
    drop_uploads_of(settings, user)
    if _kept_bytes(directory) + len(data) > MAX_KEPT_BYTES:
        return None
    token = secrets.token_urlsafe(24)
    meta = {"user_id": user.user_id, "file": name, "sheet": sheet}
    _write_private(directory / f"{token}.bin", data)
    _write_private(directory / f"{token}.json", json.dumps(meta).encode("utf-8"))
    return token


def take_upload(
    settings: Settings, user: Principal, token: str
) -> tuple[bytes, str, str | None] | None:
    """The kept upload (bytes, file name, sheet) if the token is this person's and fresh;
    an expired one is deleted."""
    if not _TOKEN.fullmatch(token):
        return None
    directory = _stash_dir(settings)
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.bin"
    try:
        if _expired(meta_path, time.time()):
            drop_upload(settings, token)
            return None
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("user_id") != user.user_id:
            return None
        return data_path.read_bytes(), str(meta.get("file") or ""), meta.get("sheet")
    except (FileNotFoundError, ValueError):
        return None


def drop_upload(settings: Settings, token: str) -> None:
    if _TOKEN.fullmatch(token):
        for suffix in (".json", ".bin"):
            (_stash_dir(settings) / f"{token}{suffix}").unlink(missing_ok=True)


# -- the page ----------------------------------------------------------------------------------


def _context(**extra: Any) -> dict[str, Any]:
    return {
        "max_mb": MAX_MB,
        "minutes": STASH_MINUTES,
        "aliases": HEADER_ALIASES,
        "problem_text": problem_text,
        "outcome": None,
        "token": "",
        "error": "",
        **extra,
    }


@router.get("/register/import", name="register_import")
def import_page(user: Writer, settings: SettingsDep, page: PageDep) -> HTMLResponse:
    sweep_uploads(settings)
    return page("register_import.html", **_context())


@router.post("/register/import", name="register_import_post")
def import_submit(
    request: Request,
    user: Writer,
    session: SessionDep,
    settings: SettingsDep,
    page: PageDep,
    file: Annotated[UploadFile | None, File()] = None,
    skip_bad: FormText = "",
    simulated: FormText = "",
    sheet: FormText = "",
    upload: FormText = "",
) -> HTMLResponse:
    """Check and import an uploaded file, or (``upload``) the kept file of an earlier try."""
    sweep_uploads(settings)
    if simulated and not user.is_admin:
        return page("register_import.html", 403, **_context(error="simulated_admin"))
    name, wanted_sheet = "", sheet.strip() or None
    if file is not None and file.filename:
        try:
            data = read_upload(file)
        except UploadTooLarge:
            return page("register_import.html", 413, **_context(error="too_large"))
        name, upload = upload_name(file.filename), ""
    elif upload:
        kept = take_upload(settings, user, upload)
        if kept is None:
            return page("register_import.html", 410, **_context(error="expired"))
        data, name, wanted_sheet = kept
    else:
        return page("register_import.html", 422, **_context(error="no_file"))
    try:
        outcome: ImportOutcome = import_upload(
            session,
            user,
            data,
            name,
            skip_bad=bool(skip_bad),
            simulated=bool(simulated),
            sheet=wanted_sheet,
            address=client_address(request),
        )
    except RegisterChanged:
        return page("register_import.html", 409, **_context(error="changed"))
    if not outcome.refused:
        drop_uploads_of(settings, user)
        return page("register_import.html", **_context(outcome=outcome))
    token, error = upload, ""
    if outcome.can_skip and not token:
        token = stash_upload(settings, user, data, name, wanted_sheet) or ""
        error = "" if token else "not_kept"
    return page(
        "register_import.html",
        422,
        **_context(
            outcome=outcome,
            token=token if outcome.can_skip else "",
            simulated=simulated,
            error=error,
        ),
    )

"""The register import page: upload a file, see every problem in it, or what it imported.

A file with problems imports nothing and the page lists each one by row, column (letter and
header) and what to do, in Chinese or English. When the problems are in rows (not in the file
as a whole), a button imports only the valid rows. That second request needs the file again:
instead of asking for a second upload, the bytes are kept in ``var_dir/register-uploads`` under
a random token for ``STASH_MINUTES`` minutes, readable only by the person who uploaded them.
Each upload sweeps away expired files, and an import that uses one deletes it, so register data
does not linger on disk.
"""

from __future__ import annotations

import json
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


def _sweep(directory: Path, now: float) -> None:
    for path in directory.glob("*"):
        try:
            if now - path.stat().st_mtime > STASH_MINUTES * 60:
                path.unlink()
        except FileNotFoundError:  # swept by a concurrent request
            pass


def stash_upload(
    settings: Settings, user: Principal, data: bytes, name: str, sheet: str | None
) -> str:
    """Keep the bytes of an upload with problems; returns the token naming them."""
    directory = _stash_dir(settings)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    _sweep(directory, time.time())
    token = secrets.token_urlsafe(24)
    (directory / f"{token}.bin").write_bytes(data)
    meta = {"user_id": user.user_id, "file": name, "sheet": sheet}
    (directory / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def take_upload(
    settings: Settings, user: Principal, token: str
) -> tuple[bytes, str, str | None] | None:
    """The kept upload (bytes, file name, sheet) if the token is this person's and fresh."""
    if not _TOKEN.fullmatch(token):
        return None
    directory = _stash_dir(settings)
    meta_path, data_path = directory / f"{token}.json", directory / f"{token}.bin"
    try:
        if time.time() - meta_path.stat().st_mtime > STASH_MINUTES * 60:
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
def import_page(user: Writer, page: PageDep) -> HTMLResponse:
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
    if not outcome.refused:
        if upload:
            drop_upload(settings, upload)
        return page("register_import.html", **_context(outcome=outcome))
    token = upload
    if outcome.can_skip and not token:
        token = stash_upload(settings, user, data, name, wanted_sheet)
    return page(
        "register_import.html",
        422,
        **_context(outcome=outcome, token=token if outcome.can_skip else "", simulated=simulated),
    )

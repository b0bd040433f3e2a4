"""Mosquitto accounts for meters and the ingester, and helpers for the shipped configuration.

Every meter gets its own account that may publish only its own unit's two topics. A shared
account would let one leaked password (meters sit in stairwells) forge any home's readings:
invent signs of life in an empty flat, or hide them in one where someone needs a welfare
check. Meters may read nothing, so one home cannot watch its neighbours' consumption. The
ingester's account reads every reading and may write only dead letters.

Mosquitto 2.0's ``pattern`` ACLs would avoid a per-meter ACL, but ``%u`` must be a whole
topic level, and our topics need two levels per meter (community and unit): a username
containing ``/`` is fragile in every tool it passes through. So the ACL is generated, one
``user`` block per meter, from the same register the detector uses.

Usernames are ``{community}.{unit}``, readable when the ids are plain ASCII (``east.3-501``);
any other id becomes its ASCII part plus a short hash (``3栋-501`` -> ``3-501_7e0b4654``),
because meter firmware and URLs (``mqtt://user:pass@host``) cope badly with anything else.
They are derived from ids only, never from the register's names of people, and are stable, so
regenerating after a register change never re-keys meters already installed.
"""

from __future__ import annotations

import base64
import csv
import grp
import hashlib
import hmac
import io
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from occupancy.ingest.const import KINDS, MAX_ID_LENGTH, TOPIC_PREFIX, TOPIC_RESERVED

INGESTER_USERNAME = "occupancy-ingester"
PASSWD_FILE = "passwd"
ACL_FILE = "acl"
CREDENTIALS_FILE = "meter-credentials.csv"
INGESTER_ENV_FILE = "ingester.env"
CREDENTIAL_COLUMNS = ("community", "unit_id", "username", "password", "meter_topic", "lights_topic")

#: Dead letters go under {prefix}/_rejected/... (see occupancy/ingest/mqtt_source.py); no
#: community may be named like that level or any other ``_``-level we may reserve later.
REJECTED_LEVEL = "_rejected"
RESERVED_COMMUNITY_PREFIX = "_"

#: mosquitto_passwd's own defaults (2.0): PBKDF2-HMAC-SHA512, 12-byte salt, 101 rounds.
#: Few rounds are deliberate: our passwords are random (192 bits), so stretching adds no
#: safety, while Mosquitto checks a hash on its single thread at every CONNECT; thousands of
#: meters reconnecting after a broker restart must not stall it.
HASH_ITERATIONS = 101
SALT_BYTES = 12
PASSWORD_BYTES = 24

_PLAIN_ID = re.compile(r"[A-Za-z0-9-]+")
_NOT_KEPT = re.compile(r"[^A-Za-z0-9-]+")
_INGESTER_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HASH_CHARS = 8


class AccountsError(ValueError):
    """Input that cannot become accounts; ``problems`` lists every one, so all get fixed at once."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True, order=True)
class MeterUnit:
    """One home's meter (and its lights sensor): the ids of its topics."""

    community: str
    unit_id: str

    @property
    def username(self) -> str:
        return username_for(self.community, self.unit_id)

    def topics(self, prefix: str = TOPIC_PREFIX) -> list[str]:
        return [f"{prefix}/{self.community}/{self.unit_id}/{kind}" for kind in KINDS]


def id_problem(value: str, what: str = "id") -> str | None:
    """Why ``value`` cannot be a community or unit id in a topic and an ACL line, or None.

    Stricter than MQTT itself: the ACL file is line based and Mosquitto trims each line, so
    control characters and surrounding spaces would silently change the topic granted.
    """
    if not value:
        return f"{what} is empty"
    if value != value.strip():
        return f"{what} {value!r} starts or ends with a space"
    if len(value) > MAX_ID_LENGTH:
        return f"{what} {value!r} is longer than {MAX_ID_LENGTH} characters"
    reserved = sorted(set(value) & TOPIC_RESERVED)
    if reserved:
        return f"{what} {value!r} contains {' '.join(reserved)}, reserved in MQTT topics"
    if any(unicodedata.category(char) in ("Cc", "Cs", "Zl", "Zp") for char in value):
        return f"{what} {value!r} contains a control character, line break or lone surrogate"
    return None


def _slug(value: str) -> str:
    """The id itself when it is plain ASCII, else its ASCII letters and digits (other runs
    become one "-") plus a hash of the whole id, so different ids never share a slug ("_"
    never occurs in the first kind)."""
    if _PLAIN_ID.fullmatch(value):
        return value
    kept = re.sub("-{2,}", "-", _NOT_KEPT.sub("-", value)).strip("-")
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:_HASH_CHARS]
    return f"{kept}_{digest}"


def username_for(community: str, unit_id: str) -> str:
    """A meter's MQTT username: ``{community}.{unit}``, only ``[A-Za-z0-9_.-]``; exactly one
    ``.``, which the ingester's name may not contain, so the two kinds never collide."""
    return f"{_slug(community)}.{_slug(unit_id)}"


def new_password() -> str:
    """URL-safe, so it can go straight into ``mqtt://user:pass@host`` and CSV cells."""
    return secrets.token_urlsafe(PASSWORD_BYTES)


def hash_password(
    password: str, *, salt: bytes | None = None, iterations: int = HASH_ITERATIONS
) -> str:
    """The ``$7$`` hash ``mosquitto_passwd`` writes (Mosquitto 2.0), computed in Python so
    generating thousands of accounts does not spawn thousands of processes."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(encoded: str, password: str) -> bool:
    """Whether ``password`` matches a ``$7$`` hash; False for any other or damaged format."""
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != "7":
        return False
    try:
        iterations = int(parts[2])
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations, 64)
    return hmac.compare_digest(digest, expected)


def check_prefix(prefix: str) -> str:
    cleaned = prefix.strip("/")
    if not cleaned or set(cleaned) & {"+", "#"}:
        raise AccountsError([f"topic prefix {prefix!r} must be non-empty and free of + and #"])
    return cleaned


def check_units(units: Iterable[MeterUnit]) -> list[MeterUnit]:
    """Sorted, without repeats; raises ``AccountsError`` naming every bad id and clash."""
    problems: list[str] = []
    by_username: dict[str, MeterUnit] = {}
    for unit in sorted(set(units)):
        found = [id_problem(unit.community, "community"), id_problem(unit.unit_id, "unit id")]
        if unit.community.startswith(RESERVED_COMMUNITY_PREFIX):
            found.append(
                f"community {unit.community!r} starts with {RESERVED_COMMUNITY_PREFIX!r}, "
                f"reserved for the system's own topics (dead letters go to {REJECTED_LEVEL})"
            )
        found = [problem for problem in found if problem]
        if found:
            problems += found
            continue
        other = by_username.setdefault(unit.username, unit)
        if other != unit:
            problems.append(
                f"{unit.community}/{unit.unit_id} and {other.community}/{other.unit_id} would "
                f"share the username {unit.username!r}; rename one of the ids"
            )
    if problems:
        raise AccountsError(problems)
    return sorted(by_username.values())


def units_from_list(path: Path) -> list[MeterUnit]:
    """A plain list: one ``COMMUNITY/UNIT_ID`` per line (the topic's two levels), ``#``
    comments and blank lines ignored. For sites without a register file yet."""
    units: list[MeterUnit] = []
    problems: list[str] = []
    text = path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        community, slash, unit_id = entry.partition("/")
        if not slash or "/" in unit_id:
            problems.append(f"{path}:{number}: {entry!r} is not COMMUNITY/UNIT_ID")
            continue
        units.append(MeterUnit(community.strip(), unit_id.strip()))
    if problems:
        raise AccountsError(problems)
    return units


def units_from_register(path: Path) -> list[MeterUnit]:
    """The units of a move-in register CSV (only its ids are used; raises the register's own
    ``RegisterImportError`` listing bad rows)."""
    from occupancy.register.csvfile import parse_register_csv

    return [MeterUnit(e.community, e.unit_id) for e in parse_register_csv(path).entries]


def acl_text(units: Iterable[MeterUnit], prefix: str, ingester: str = INGESTER_USERNAME) -> str:
    lines = [
        "# Mosquitto ACL for occupancy, generated by `occupancy mqtt-accounts`. Do not edit:",
        "# regenerate instead (hand edits are lost the next time). Topics: docs/mqtt.md.",
        "# Nothing is granted to anonymous clients (the shipped mosquitto.conf refuses them).",
        "",
        "# The ingester reads every reading and writes only dead letters.",
        f"user {ingester}",
        f"topic read {prefix}/#",
        f"topic write {prefix}/{REJECTED_LEVEL}/#",
        "",
        "# Meters: each publishes its own unit's topics, nothing else, and reads nothing.",
    ]
    for unit in units:
        lines.append(f"user {unit.username}")
        lines += [f"topic write {topic}" for topic in unit.topics(prefix)]
    return "\n".join(lines) + "\n"


def read_passwd(path: Path) -> dict[str, str]:
    """username -> hash of an existing password file ({} if there is none)."""
    if not path.exists():
        return {}
    entries: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            username, _, encoded = line.partition(":")
            entries[username] = encoded
    return entries


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = csv.DictReader(handle)
        return {row["username"]: row.get("password") or "" for row in rows if row.get("username")}


def _read_ingester_password(path: Path) -> tuple[str, str] | None:
    """(username, password) from an ingester.env we wrote earlier, if there is one."""
    if not path.exists():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        name, _, value = line.partition("=")
        if name.strip() == "OCCUPANCY_MQTT_URL":
            parts = urlsplit(value.strip())
            if parts.username and parts.password:
                return unquote(parts.username), unquote(parts.password)
    return None


def _write_file(path: Path, text: str, mode: int, gid: int | None = None) -> None:
    """Replace ``path`` atomically, with its permissions set before any secret is written:
    Mosquitto may reread the file (SIGHUP) at any moment and must never see half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        if gid is not None:
            os.fchown(fd, -1, gid)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass
class AccountsResult:
    """What a run did, for the summary the operator reads."""

    out_dir: Path
    meters: int = 0
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: Kept meter accounts whose password is no longer in the credentials CSV (fine if they
    #: are installed; re-provisioning one needs --rotate).
    unknown_passwords: list[str] = field(default_factory=list)
    ingester: str = INGESTER_USERNAME
    ingester_password_changed: bool = False
    files: dict[str, Path] = field(default_factory=dict)


def write_accounts(
    units: Iterable[MeterUnit],
    out_dir: Path,
    *,
    prefix: str = TOPIC_PREFIX,
    ingester: str = INGESTER_USERNAME,
    broker: str = "localhost:1883",
    rotate: bool = False,
    group: str | None = None,
) -> AccountsResult:
    """Write ``passwd``, ``acl``, ``meter-credentials.csv`` and ``ingester.env`` into ``out_dir``.

    Reruns keep existing accounts' hashes (installed meters keep working) unless ``rotate``;
    new units get new passwords; units gone from the input lose their accounts. ``group``
    (e.g. ``mosquitto``) owns ``passwd`` and ``acl`` with mode 0640, since Mosquitto reads
    them after dropping root; otherwise they are 0600. The two files holding plain
    passwords are always 0600: the broker never needs them.
    """
    prefix = check_prefix(prefix)
    if not _INGESTER_NAME.fullmatch(ingester):
        raise AccountsError(
            [f"ingester username {ingester!r} may use only letters, digits, _ and - (no '.')"]
        )
    meters = check_units(units)
    try:
        gid = grp.getgrnam(group).gr_gid if group else None
    except KeyError:
        raise AccountsError([f"there is no group {group!r} on this machine"]) from None
    shared_mode = 0o640 if gid is not None else 0o600
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out_dir / name
        for name in (PASSWD_FILE, ACL_FILE, CREDENTIALS_FILE, INGESTER_ENV_FILE)
    }
    old_hashes = read_passwd(paths[PASSWD_FILE])
    known = _read_credentials(paths[CREDENTIALS_FILE])
    old_ingester = _read_ingester_password(paths[INGESTER_ENV_FILE])
    if old_ingester is not None and old_ingester[0] == ingester:
        known[ingester] = old_ingester[1]

    result = AccountsResult(out_dir=out_dir, meters=len(meters), ingester=ingester, files=paths)
    hashes: dict[str, str] = {}
    passwords: dict[str, str] = {}

    def account(username: str, *, renew_if_unknown: bool) -> None:
        encoded = old_hashes.get(username)
        password = known.get(username)
        if encoded is not None and not rotate:
            if password is not None and verify_password(encoded, password):
                passwords[username] = password
            elif renew_if_unknown:
                encoded = None
            else:
                result.unknown_passwords.append(username)
        if encoded is None or rotate:
            password = new_password()
            encoded = hash_password(password)
            passwords[username] = password
            if username != ingester:
                result.created.append(username)
            else:
                result.ingester_password_changed = True
        elif username != ingester:
            result.kept.append(username)
        hashes[username] = encoded

    # The ingester's password is ours to change at will (one setting); a meter's is not.
    account(ingester, renew_if_unknown=True)
    for unit in meters:
        account(unit.username, renew_if_unknown=False)
    result.removed = sorted(set(old_hashes) - set(hashes))

    passwd = "".join(f"{username}:{encoded}\n" for username, encoded in hashes.items())
    _write_file(paths[PASSWD_FILE], passwd, shared_mode, gid)
    _write_file(paths[ACL_FILE], acl_text(meters, prefix, ingester), shared_mode, gid)
    _write_file(paths[CREDENTIALS_FILE], _credentials_csv(meters, passwords, prefix), 0o600)
    url = f"mqtt://{quote(ingester, safe='')}:{quote(passwords[ingester], safe='')}@{broker}"
    env = (
        "# The ingester's broker account, generated by `occupancy mqtt-accounts`.\n"
        "# Copy this line into the ingester's environment (deploy/.env or\n"
        "# /etc/occupancy/occupancy.env); adjust the host if the broker is elsewhere.\n"
        f"OCCUPANCY_MQTT_URL={url}\n"
    )
    _write_file(paths[INGESTER_ENV_FILE], env, 0o600)
    return result


def _credentials_csv(meters: list[MeterUnit], passwords: Mapping[str, str], prefix: str) -> str:
    # With a BOM, as Excel writes it: installers open this in Excel, which otherwise shows
    # Chinese ids as mojibake (the register importer accepts both).
    buffer = io.StringIO("\ufeff")
    buffer.seek(0, io.SEEK_END)
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CREDENTIAL_COLUMNS)
    for unit in meters:
        password = passwords.get(unit.username)
        if password is not None:
            writer.writerow(
                [unit.community, unit.unit_id, unit.username, password, *unit.topics(prefix)]
            )
    return buffer.getvalue()


# -- the configuration file ------------------------------------------------------------------


def directives(text: str) -> list[tuple[str, str]]:
    """(name, value) of every setting in a mosquitto.conf, in order. Mosquitto has no
    trailing comments: a ``#`` starts a comment only at the start of a line."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            name, _, value = stripped.partition(" ")
            found.append((name, value.strip()))
    return found


def override_directives(text: str, overrides: Mapping[str, str | None]) -> str:
    """``text`` with the named settings replaced (first occurrence; later ones dropped), or
    removed where the value is None; names the file lacks are appended. Everything else,
    comments included, stays as written: tests run the shipped file, not a lookalike."""
    out: list[str] = []
    done: set[str] = set()
    for line in text.splitlines():
        stripped = line.strip()
        name = stripped.partition(" ")[0] if stripped and not stripped.startswith("#") else ""
        if name in overrides:
            if name not in done and overrides[name] is not None:
                out.append(f"{name} {overrides[name]}")
            done.add(name)
            continue
        out.append(line)
    out += [f"{name} {value}" for name, value in overrides.items() if name not in done and value]
    return "\n".join(out) + "\n"


_DURATION_UNITS = {"h": 3600, "d": 86400, "w": 7 * 86400, "m": 30 * 86400, "y": 365 * 86400}


def duration_seconds(value: str) -> int:
    """A ``persistent_client_expiration`` value (``14d``, ``1y``...) in seconds."""
    match = re.fullmatch(r"(\d+)([hdwmy])", value.strip())
    if not match:
        raise ValueError(f"{value!r} is not a Mosquitto duration such as 14d")
    return int(match.group(1)) * _DURATION_UNITS[match.group(2)]

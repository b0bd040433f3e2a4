"""CLI: ``occupancy mqtt-accounts``, the broker's accounts for meters and the ingester."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from occupancy.cli.output import console, err_console, fail

#: Paragraphs are single lines: Typer keeps every newline and then wraps to the terminal.
HELP = (
    "Generate Mosquitto accounts: one per meter, allowed to publish only its own unit's "
    "topics, and one for the ingester.\n\n"
    "Reads the units from a move-in register CSV (--register; only its community and unit_id "
    "columns are used) or a plain list (--units; one COMMUNITY/UNIT_ID per line) and writes "
    "into --out:\n\n"
    "  passwd                 password file (PBKDF2-SHA512, as mosquitto_passwd makes)\n"
    "  acl                    meters write only their own unit's meter and lights topics;\n"
    "                         the ingester reads all readings and writes only dead letters\n"
    "  meter-credentials.csv  username, password and topics per unit, to install meters\n"
    "                         (mode 0600: keep it off shared drives, delete when done)\n"
    "  ingester.env           OCCUPANCY_MQTT_URL with the ingester's account (mode 0600)\n\n"
    "Usernames are COMMUNITY.UNIT (east.3-501); an id that is not plain ASCII becomes its "
    "ASCII part plus a short hash. They are made from ids only, never from people's names.\n\n"
    "Run it again whenever the register changes: accounts already in --out keep their "
    "passwords (installed meters keep working), new units get new ones, units gone from the "
    "input lose theirs. Then make Mosquitto reread the files: systemctl reload mosquitto, or "
    "docker compose restart mosquitto. See docs/deploy.md."
)


def mqtt_accounts(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            file_okay=False,
            help="Directory for the generated files, e.g. /etc/mosquitto/occupancy "
            "(what the shipped mosquitto.conf reads) or deploy/mosquitto/accounts (compose).",
        ),
    ],
    register: Annotated[
        list[Path] | None,
        typer.Option(
            "--register",
            "-r",
            exists=True,
            dir_okay=False,
            help="Move-in register CSV (UTF-8 or GB18030, as `occupancy register import` "
            "takes). Repeatable.",
        ),
    ] = None,
    units: Annotated[
        list[Path] | None,
        typer.Option(
            "--units",
            "-u",
            exists=True,
            dir_okay=False,
            help="Text file with one COMMUNITY/UNIT_ID per line (# comments). Repeatable.",
        ),
    ] = None,
    broker: Annotated[
        str,
        typer.Option(
            help="host:port the ingester reaches the broker at; written into ingester.env "
            "(compose: mosquitto:1883)."
        ),
    ] = "localhost:1883",
    ingester_user: Annotated[
        str, typer.Option(help="Username of the ingester's account.")
    ] = "occupancy-ingester",
    prefix: Annotated[
        str | None,
        typer.Option(
            help="Topic prefix the ACL grants.",
            show_default="OCCUPANCY_TOPIC_PREFIX (occupancy/v1)",
        ),
    ] = None,
    rotate: Annotated[
        bool,
        typer.Option(
            "--rotate",
            help="New passwords for every account, also ones already installed (after a leak).",
        ),
    ] = False,
    group: Annotated[
        str | None,
        typer.Option(
            help="Group that may read passwd and acl (mode 0640), e.g. mosquitto: the broker "
            "reads them after dropping root. Default: owner only (0600)."
        ),
    ] = None,
) -> None:
    from occupancy.config import get_settings
    from occupancy.deploy.mosquitto import (
        AccountsError,
        MeterUnit,
        units_from_list,
        units_from_register,
        write_accounts,
    )
    from occupancy.register import RegisterImportError

    if not register and not units:
        fail("say which units get accounts: --register REGISTER.csv or --units LIST.txt")
    found: list[MeterUnit] = []
    try:
        for path in register or []:
            found += units_from_register(path)
        for path in units or []:
            found += units_from_list(path)
        result = write_accounts(
            found,
            out,
            prefix=prefix or get_settings().topic_prefix,
            ingester=ingester_user,
            broker=broker,
            rotate=rotate,
            group=group,
        )
    except RegisterImportError as exc:
        for error in exc.errors[:50]:
            err_console.print(
                f"row {error.row}, column {error.column or '-'}: {error.message}",
                markup=False,
                highlight=False,
            )
        fail(f"the register has {len(exc.errors)} problem(s); no accounts were written")
    except AccountsError as exc:
        for problem in exc.problems:
            err_console.print(problem, markup=False, highlight=False)
        fail(f"{len(exc.problems)} problem(s); no accounts were written")
    except OSError as exc:
        fail(f"could not write to {out}: {exc}")

    console.print(
        f"{result.meters} meter accounts in {out}: {len(result.created)} new, "
        f"{len(result.kept)} kept, {len(result.removed)} removed.",
        markup=False,
        highlight=False,
    )
    if result.unknown_passwords:
        console.print(
            f"{len(result.unknown_passwords)} kept accounts have no password in "
            "meter-credentials.csv any more (installed earlier; use --rotate to re-key).",
            markup=False,
        )
    if result.ingester_password_changed:
        console.print(
            f"The ingester ({result.ingester}) has a new password: copy OCCUPANCY_MQTT_URL from "
            f"{result.files['ingester.env']} into its environment and restart it.",
            markup=False,
            highlight=False,
        )
    console.print(
        "Make Mosquitto reread the files: systemctl reload mosquitto "
        "(compose: docker compose restart mosquitto).",
        markup=False,
    )


def attach(app: typer.Typer) -> None:
    """Register this module's commands on the main app."""
    app.command("mqtt-accounts", help=HELP)(mqtt_accounts)

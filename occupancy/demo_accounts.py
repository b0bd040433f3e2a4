"""Accounts for `occupancy demo`, so its pages can be signed in to and walked through.

Every page needs a signed-in person. The demo makes an admin, the community's secretary and
the grid worker of its busiest grid, each with a fresh random password printed once (and
kept in the demo's own work directory, readable by its owner only), and puts that grid's open
flags on the worker's door-knock list, urgent first, as a secretary would.
"""

from __future__ import annotations

import os
import secrets
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from occupancy.auth.accounts import create_user
from occupancy.auth.principal import Principal
from occupancy.db.session import session_scope
from occupancy.db.tables import NEW_FLAG_STATE, Flag, Unit
from occupancy.workflow.actions import assign

#: Flags put on the demo worker's list: a morning's round.
LIST_LENGTH = 12


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str
    scope: str


def create_demo_accounts(db_url: str, workdir: Path) -> list[DemoAccount]:
    """Create the demo's three accounts and the worker's list; returns them with passwords."""
    accounts: list[DemoAccount] = []
    with session_scope(db_url) as session:
        grids = Counter(
            (unit.community, unit.grid)
            for unit, state in session.execute(
                select(Unit, Flag.state).join(Flag, Flag.unit_id == Unit.unit_id)
            ).all()
            if state == NEW_FLAG_STATE and unit.grid
        )
        if grids:
            (community, grid), _ = grids.most_common(1)[0]
        else:
            community, grid = session.scalar(select(Unit.community)) or "demo", "G01"
        made = {}
        walker = {"community": community, "grid": grid}
        for username, role, kw, scope in (
            ("admin", "admin", {}, "all communities"),
            ("secretary", "secretary", {"community": community}, community),
            ("worker", "grid_worker", walker, f"{community} {grid}"),
        ):
            password = secrets.token_urlsafe(12)
            made[username] = create_user(session, username, password, role, **kw)
            accounts.append(DemoAccount(username, password, role, scope))
        secretary = Principal.from_user(made["secretary"])
        flags = session.scalars(
            select(Flag)
            .join(Unit, Unit.unit_id == Flag.unit_id)
            .where(Unit.community == community, Unit.grid == grid, Flag.state == NEW_FLAG_STATE)
            .order_by(Flag.urgent.desc(), Flag.score.desc())
            .limit(LIST_LENGTH)
        ).all()
        for flag in flags:
            assign(session, flag, made["worker"], by=secretary)
    path = workdir / "accounts.txt"
    path.write_text(
        "".join(f"{a.username}\t{a.password}\t{a.role}\t{a.scope}\n" for a in accounts),
        encoding="utf-8",
    )
    os.chmod(path, 0o600)
    return accounts

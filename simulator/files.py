"""Write a community as files (readings, lights, register, truth, meta), chunk by chunk.

Readings and lights go out in live-feed order: by meter tick, then by unit (a duplicate right
after its original; a skewed meter's stamp is off by its skew but it still sends at the
tick). A community is generated a chunk of units at a time, so each chunk's rows are first
appended, tick by tick, to one scratch file, remembering where each tick's block starts; at
the end the blocks are merged tick by tick into the final file. Memory stays flat (one chunk
plus an offset table), and the file is byte-identical to writing everything at once.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import numpy as np

from simulator.archetypes import ARCHETYPES
from simulator.generate import (
    FAULTS,
    LIGHTS_HEADER,
    READINGS_HEADER,
    REGISTER_HEADER,
    TRUTH_HEADER,
    CommunityChunk,
    iso_at,
)

READINGS_ORDER = (
    "by meter tick (the moment the reading was sent), then by unit in register order; a "
    "duplicated reading follows its original; a skewed meter's ts is its own clock's"
)


def _flag(value: bool) -> str:
    return "1" if value else "0"


class _Spool:
    """Blocks of text per (chunk, tick) in one scratch file, merged tick by tick at the end."""

    def __init__(self, directory: Path, ticks: int) -> None:
        self.ticks = ticks
        self.file: IO[bytes] = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        self.offsets: list[np.ndarray] = []

    def add(self, blocks: list[bytes]) -> None:
        """One chunk's text, one block per tick."""
        sizes = np.fromiter((len(b) for b in blocks), dtype=np.int64, count=len(blocks))
        base = self.file.seek(0, os.SEEK_END)
        self.offsets.append(base + np.concatenate([[0], np.cumsum(sizes)]))
        self.file.write(b"".join(blocks))

    def merge_into(self, out: IO[bytes]) -> None:
        self.file.flush()
        fd = self.file.fileno()
        for k in range(self.ticks):
            for off in self.offsets:
                size = int(off[k + 1] - off[k])
                if size:
                    out.write(os.pread(fd, size, int(off[k])))
        self.file.close()


def _reading_blocks(chunk: CommunityChunk) -> list[bytes]:
    tl = chunk.timeline
    unit, ticks, centi = chunk.reading_rows()
    bounds = np.searchsorted(ticks, np.arange(tl.readings + 1)).tolist()
    prefix = [u.unit_id for u in chunk.units]
    iso = [f",{t}," for t in tl.reading_iso()]
    # Whole hundredths as text: exact, and faster than formatting floats.
    whole, cents = np.divmod(centi, 100)
    values = [f"{w}.{c:02d}\n" for w, c in zip(whole.tolist(), cents.tolist(), strict=True)]
    units_l = unit.tolist()
    skewed = np.flatnonzero(chunk.skew_seconds)
    if skewed.size:
        # A skewed meter's own clock: its stamps are off the tick by its skew.
        t0 = tl.start.timestamp()
        step = tl.interval * 60.0
        skew = chunk.skew_seconds
        rows = np.flatnonzero(np.isin(unit, skewed)).tolist()
        stamp = {r: f",{iso_at(tl, t0 + ticks[r] * step + skew[unit[r]])}," for r in rows}
    else:
        stamp = {}
    blocks: list[bytes] = []
    for k in range(tl.readings):
        lo, hi = bounds[k], bounds[k + 1]
        ts = iso[k]
        text = "".join(
            [
                prefix[units_l[r]] + stamp.get(r, ts) + values[r]
                if stamp
                else prefix[units_l[r]] + ts + values[r]
                for r in range(lo, hi)
            ]
        )
        blocks.append(text.encode())
    return blocks


def _light_blocks(chunk: CommunityChunk) -> list[bytes]:
    tl = chunk.timeline
    sensors = [i for i, u in enumerate(chunk.units) if u.has_lights_sensor]
    on = chunk.lights_on
    blocks: list[bytes] = []
    for j, ts in enumerate(tl.light_iso()):
        text = "".join(
            f"{chunk.units[i].unit_id},{ts},{'1' if on[i, j] else '0'}\n" for i in sensors
        )
        blocks.append(text.encode())
    return blocks


def write_chunks(chunks: Iterable[CommunityChunk], out_dir: Path) -> dict[str, object]:
    """Write readings.csv, lights.csv, register.csv, truth.csv and meta.json into ``out_dir``
    from consecutive chunks of one community; returns the meta written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(ARCHETYPES, 0)
    fault_counts = dict.fromkeys(FAULTS, 0)
    rows = 0
    first: CommunityChunk | None = None
    readings: _Spool | None = None
    lights: _Spool | None = None
    with (
        open(out_dir / "register.csv", "w", encoding="utf-8", newline="") as register,
        open(out_dir / "truth.csv", "w", encoding="utf-8", newline="") as truth,
    ):
        register.write(REGISTER_HEADER + "\n")
        truth.write(TRUTH_HEADER + "\n")
        for chunk in chunks:
            if first is None:
                first = chunk
                readings = _Spool(out_dir, chunk.timeline.readings)
                lights = _Spool(out_dir, chunk.timeline.light_minute.size)
            assert readings is not None and lights is not None
            readings.add(_reading_blocks(chunk))
            lights.add(_light_blocks(chunk))
            rows += int(chunk.reported.sum() + chunk.duplicated.sum())
            for u in chunk.units:
                counts[u.archetype] += 1
                for name in u.faults:
                    fault_counts[name] += 1
                register.write(
                    f"{u.unit_id},{chunk.name},{u.grid},{u.building},{u.entrance},"
                    f"{u.floor:02d},{u.room:02d},{u.registered_occupants},"
                    f"{_flag(u.vulnerable)}\n"
                )
                truth.write(
                    f"{u.unit_id},{u.archetype},{_flag(u.occupied)},{_flag(u.registered)},"
                    f"{_flag(u.meter_ok)},{_flag(u.vulnerable)},{u.silent_hours:.1f},"
                    f"{';'.join(u.faults)}\n"
                )
    if first is None or readings is None or lights is None:
        raise ValueError("no chunks to write; generate at least one unit")
    with open(out_dir / "readings.csv", "wb") as f:
        f.write((READINGS_HEADER + "\n").encode())
        readings.merge_into(f)
    with open(out_dir / "lights.csv", "wb") as f:
        f.write((LIGHTS_HEADER + "\n").encode())
        lights.merge_into(f)

    tl = first.timeline
    meta: dict[str, object] = {
        "seed": first.seed,
        "units": sum(counts.values()),
        "days": tl.days,
        "start": tl.start.isoformat(),
        "interval_minutes": tl.interval,
        "community": first.name,
        "timezone": first.timezone,
        "counts": counts,
        "offline_rate": first.offline_rate,
        "lights_coverage": first.lights_coverage,
        "fault_rates": first.fault_rates,
        "fault_counts": fault_counts,
        "readings": rows,
        "readings_order": READINGS_ORDER,
        "occupied_means": "someone lives in the unit at the end of the window",
        "silent_hours_means": "hours from the moment the unit was last lived in to the "
        "window end (0 if still lived in; the whole window if nobody lived there)",
        "daily_mean_temperature_c": {
            d.isoformat(): float(t)
            for d, t in zip(tl.dates, first.daily_temperature_c, strict=True)
        },
    }
    (out_dir / "meta.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return meta


def write_community(community: CommunityChunk, out_dir: Path) -> dict[str, object]:
    """Write an in-memory community (or one chunk) as files; see ``write_chunks``."""
    return write_chunks([community], out_dir)

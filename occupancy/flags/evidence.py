"""Why a unit was flagged, in numbers a community secretary can check, in English and Chinese.

The numbers are kept as a plain dict (``FlagRecord.evidence``) so that pages can render them
in any language; ``evidence_text`` and ``evidence_text_zh`` are two such renderings and read
nothing but that dict.

Evidence keys
-------------
``kind``
    The flag kind (``unregistered_activity``, ``registered_silent``, ``meter_offline``).
``days``, ``hours_total``
    Length of the window looked at.
``hours_measured``, ``measured_share``
    Hours with a meter measurement, and that as a share of ``hours_total`` (0..1).
``hours_since_measured``
    Hours from the last measured hour to the end of the window; None if none was measured.
``in_window``
    False when the meter sent nothing at all in the window (only for ``meter_offline``).
``registered_occupants``
    What the move-in register says; None when the unit is not in the register.
``vulnerable``
    The register marks the resident as needing checks.
``measured_days``, ``evening_active_days``
    Days with any measurement, and of those the days with activity above standby between
    18:00 and 24:00.
``mean_daily_kwh``, ``standby_daily_kwh``
    Average use per day, and the standby baseline (low percentile of hourly use) per day.
``hours_since_activity``
    Hours since the last hour of use above standby; None if there was none in the window.
``lights_nights_on``, ``lights_nights_observed``
    Nights with lights seen on, of the nights observed; both None without a lights sensor.
``probability``
    The detector's P(occupied), None for ``meter_offline``.

Welfare flags (``occupancy.flags.welfare``) and the welfare rule inside ``raise_flags`` add:

``welfare``
    True on a flag raised by the welfare check (hourly, vulnerable residents only).
``judged_at``
    ISO time the check looked at (the end of the last hour counted).
``last_activity_at``
    ISO local start of the last hour with human activity; None if none was seen.
``register_frozen_hours``
    Hours the meter kept reporting an unchanged register (a stuck meter), 0 if it moves.

``hours_since_activity`` then counts *human* activity (``occupancy.models.activity``): use
that a fridge or a water heater reheating by itself does not explain.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from occupancy.flags.record import METER_OFFLINE, REGISTERED_SILENT
from occupancy.timeseries import plus_hours

if TYPE_CHECKING:  # importing the models package loads scikit-learn (seconds) for a page
    from occupancy.models.features import UnitSummary


def unit_evidence(
    summary: UnitSummary,
    i: int,
    *,
    kind: str,
    registered_occupants: int | None,
    vulnerable: bool,
    probability: float | None,
) -> dict[str, Any]:
    """The evidence dict for unit ``i`` of a window summary (keys in the module docstring)."""
    observed = int(summary.nights_observed[i])
    return {
        "kind": kind,
        "days": summary.days,
        "hours_total": summary.hours,
        "hours_measured": int(summary.measured_hours[i]),
        "measured_share": round(float(summary.measured_share[i]), 3),
        "hours_since_measured": _maybe(summary.hours_since_measured[i], 0),
        "in_window": True,
        "registered_occupants": registered_occupants,
        "vulnerable": vulnerable,
        "measured_days": int(summary.measured_days[i]),
        "evening_active_days": int(summary.evening_active_days[i]),
        "mean_daily_kwh": _maybe(summary.mean_daily_kwh[i], 2),
        "standby_daily_kwh": _maybe(summary.baseline_kwh[i] * 24, 2),
        "hours_since_activity": _maybe(summary.hours_since_active[i], 0),
        "lights_nights_on": int(summary.nights_lit[i]) if observed else None,
        "lights_nights_observed": observed if observed else None,
        "probability": None if probability is None else round(float(probability), 3),
    }


def absent_evidence(
    days: int, *, registered_occupants: int | None, vulnerable: bool
) -> dict[str, Any]:
    """Evidence for a registered unit whose meter sent nothing in the window."""
    return {
        "kind": METER_OFFLINE,
        "days": days,
        "hours_total": days * 24,
        "hours_measured": 0,
        "measured_share": 0.0,
        "hours_since_measured": None,
        "in_window": False,
        "registered_occupants": registered_occupants,
        "vulnerable": vulnerable,
        "measured_days": 0,
        "evening_active_days": 0,
        "mean_daily_kwh": None,
        "standby_daily_kwh": None,
        "hours_since_activity": None,
        "lights_nights_on": None,
        "lights_nights_observed": None,
        "probability": None,
    }


def welfare_evidence(
    *,
    kind: str,
    judged_at: datetime,
    hours_total: int,
    registered_occupants: int | None,
    hours_since_activity: float | None,
    hours_since_measured: float | None,
    frozen_hours: float,
    hours_measured: int,
    mean_daily_kwh: float | None,
    standby_daily_kwh: float | None,
    in_window: bool = True,
) -> dict[str, Any]:
    """The evidence dict of a welfare flag (keys in the module docstring)."""
    last = (
        None
        if hours_since_activity is None
        else plus_hours(judged_at, -(hours_since_activity + 1)).isoformat()
    )
    return {
        "kind": kind,
        "welfare": True,
        "judged_at": judged_at.isoformat(),
        "days": round(hours_total / 24, 1),
        "hours_total": hours_total,
        "hours_measured": hours_measured,
        "measured_share": round(hours_measured / hours_total, 3) if hours_total else 0.0,
        "hours_since_measured": hours_since_measured,
        "in_window": in_window,
        "registered_occupants": registered_occupants,
        "vulnerable": True,
        "hours_since_activity": hours_since_activity,
        "last_activity_at": last,
        "register_frozen_hours": round(frozen_hours),
        "mean_daily_kwh": mean_daily_kwh,
        "standby_daily_kwh": standby_daily_kwh,
        "probability": None,
    }


def welfare_text(evidence: dict[str, Any]) -> str:
    """English text of a welfare flag (``evidence_text`` delegates here for them).

    >>> welfare_text({"kind": "registered_silent", "welfare": True, "hours_total": 60,
    ...     "registered_occupants": 1, "hours_since_activity": 31.0,
    ...     "last_activity_at": "2025-03-04T19:00:00+08:00"})
    'register lists 1 occupant, vulnerable; no activity for 31 h (last at Tue 19:00)'
    """
    e = evidence
    if e.get("kind") == METER_OFFLINE:
        return "; ".join(_offline_en(e))
    parts = [_register_en(e) + ", vulnerable", _no_activity_en(e)]
    if e.get("mean_daily_kwh") is not None:
        parts.append(
            f"{_kwh(e['mean_daily_kwh'])} kWh/day against {_kwh(e.get('standby_daily_kwh'))} "
            "kWh/day standby"
        )
    if e.get("probability") is not None:
        parts.append(f"P(occupied) {e['probability']:.2f}")
    return "; ".join(parts)


def welfare_text_zh(evidence: dict[str, Any]) -> str:
    """Chinese text of a welfare flag.

    >>> welfare_text_zh({"kind": "registered_silent", "welfare": True, "hours_total": 60,
    ...     "registered_occupants": 1, "hours_since_activity": 31.0,
    ...     "last_activity_at": "2025-03-04T19:00:00+08:00"})
    '登记表登记 1 人（重点关注对象）；已 31 小时无用电活动（最后一次在 周二 19:00）'
    """
    e = evidence
    if e.get("kind") == METER_OFFLINE:
        return "；".join(_offline_zh(e))
    parts = [f"登记表登记 {e.get('registered_occupants')} 人（重点关注对象）", _no_activity_zh(e)]
    if e.get("mean_daily_kwh") is not None:
        parts.append(
            f"日均用电 {_kwh(e['mean_daily_kwh'])} 千瓦时，待机基线 "
            f"{_kwh(e.get('standby_daily_kwh'))} 千瓦时/天"
        )
    if e.get("probability") is not None:
        parts.append(f"在住概率 {e['probability']:.2f}")
    return "；".join(parts)


_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKDAYS_ZH = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def _at(iso: str, names: tuple[str, ...]) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{names[moment.weekday()]} {moment:%H:%M}"


def _no_activity_en(e: dict[str, Any]) -> str:
    since = e.get("hours_since_activity")
    if since is None or not e.get("last_activity_at"):
        return f"no activity in the {e['hours_total']} hours looked at"
    days = f"{since / 24:.1f} days, " if since >= 48 else ""
    return (
        f"no activity for {since:.0f} h ({days}last at {_at(e['last_activity_at'], _WEEKDAYS_EN)})"
    )


def _no_activity_zh(e: dict[str, Any]) -> str:
    since = e.get("hours_since_activity")
    if since is None or not e.get("last_activity_at"):
        return f"统计的 {e['hours_total']} 小时内无用电活动"
    days = f"{since / 24:.1f} 天，" if since >= 48 else ""
    return (
        f"已 {since:.0f} 小时无用电活动（{days}最后一次在 "
        f"{_at(e['last_activity_at'], _WEEKDAYS_ZH)}）"
    )


def _offline_en(e: dict[str, Any]) -> list[str]:
    frozen = e.get("register_frozen_hours") or 0
    if frozen:
        return [f"register unchanged for {frozen:.0f} h although the meter reports"]
    if not e.get("in_window", True) or not e.get("hours_measured"):
        return [f"no meter readings in the {e['hours_total']}-hour window"]
    parts = [
        f"meter reported {e['hours_measured']} of {e['hours_total']} hours "
        f"({_pct(e['measured_share'])})"
    ]
    if e.get("hours_since_measured"):
        parts.append(f"last reading {_ago_en(e['hours_since_measured'])} before the window end")
    return parts


def _offline_zh(e: dict[str, Any]) -> list[str]:
    frozen = e.get("register_frozen_hours") or 0
    if frozen:
        return [f"电表仍在上报，但读数已 {frozen:.0f} 小时未变化"]
    if not e.get("in_window", True) or not e.get("hours_measured"):
        return [f"近 {e['hours_total']} 小时内电表无读数"]
    parts = [
        f"电表在 {e['hours_total']} 小时中上报了 {e['hours_measured']} 小时"
        f"（{_pct(e['measured_share'])}）"
    ]
    if e.get("hours_since_measured"):
        parts.append(f"最后一次读数在统计截止前 {_ago_zh(e['hours_since_measured'])}")
    return parts


def evidence_text(evidence: dict[str, Any]) -> str:
    """One English sentence of the numbers behind a flag, for ``FlagRecord.evidence_text``.

    >>> evidence_text({"kind": "meter_offline", "in_window": False, "hours_total": 168})
    'no meter readings in the 168-hour window'
    """
    e = evidence
    if e.get("welfare"):
        return welfare_text(e)
    if e.get("kind") == METER_OFFLINE:
        return "; ".join(_offline_en(e))
    parts = [_register_en(e)]
    if e.get("kind") == REGISTERED_SILENT:
        parts.append(_silence_en(e))
    parts.append(f"evening activity {e['evening_active_days']} of {e['measured_days']} days")
    parts.append(
        f"{_kwh(e['mean_daily_kwh'])} kWh/day against {_kwh(e['standby_daily_kwh'])} "
        "kWh/day standby"
    )
    if e.get("lights_nights_observed"):
        parts.append(f"lights on {e['lights_nights_on']} of {e['lights_nights_observed']} nights")
    else:
        parts.append("no lights sensor")
    if e.get("probability") is not None:
        parts.append(f"P(occupied) {e['probability']:.2f}")
    return "; ".join(parts)


def evidence_text_zh(evidence: dict[str, Any]) -> str:
    """The same numbers as ``evidence_text``, in Simplified Chinese (zh-CN).

    >>> evidence_text_zh({"kind": "meter_offline", "in_window": False, "hours_total": 168})
    '近 168 小时内电表无读数'
    """
    e = evidence
    if e.get("welfare"):
        return welfare_text_zh(e)
    if e.get("kind") == METER_OFFLINE:
        return "；".join(_offline_zh(e))
    occupants = e.get("registered_occupants")
    parts = ["入住登记表中无此户" if occupants is None else f"登记表登记 {occupants} 人"]
    if e.get("kind") == REGISTERED_SILENT:
        since = e.get("hours_since_activity")
        if e.get("urgent") or (e.get("last_activity_at") and since is not None):
            parts.append(_no_activity_zh(e) + ("（紧急：重点关注对象）" if e.get("urgent") else ""))
        else:
            parts.append(
                f"{e['days']} 天内无高于待机水平的用电"
                if since is None
                else f"最近一次高于待机水平的用电在 {_ago_zh(since)}前"
            )
    parts.append(f"{e['measured_days']} 天中有 {e['evening_active_days']} 天晚间有用电活动")
    parts.append(
        f"日均用电 {_kwh(e['mean_daily_kwh'])} 千瓦时，待机基线 "
        f"{_kwh(e['standby_daily_kwh'])} 千瓦时/天"
    )
    if e.get("lights_nights_observed"):
        parts.append(f"{e['lights_nights_observed']} 晚中 {e['lights_nights_on']} 晚亮灯")
    else:
        parts.append("无灯光传感器")
    if e.get("probability") is not None:
        parts.append(f"在住概率 {e['probability']:.2f}")
    return "；".join(parts)


def _register_en(e: dict[str, Any]) -> str:
    occupants = e.get("registered_occupants")
    if occupants is None:
        return "not in the move-in register"
    return f"register lists {occupants} occupant{'s' if occupants != 1 else ''}"


def _silence_en(e: dict[str, Any]) -> str:
    if e.get("urgent") or (e.get("last_activity_at") and e.get("hours_since_activity") is not None):
        return _no_activity_en(e) + (" (URGENT: vulnerable resident)" if e.get("urgent") else "")
    since = e.get("hours_since_activity")
    if since is None:
        return f"no use above standby in {e['days']} days"
    return f"last use above standby {_ago_en(since)} ago"


def _ago_en(hours: float) -> str:
    if hours >= 24:
        return f"{hours / 24:.1f} days"
    return f"{hours:.0f} hour{'s' if round(hours) != 1 else ''}"


def _ago_zh(hours: float) -> str:
    return f"{hours / 24:.1f} 天" if hours >= 24 else f"{hours:.0f} 小时"


def _kwh(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f}"


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _maybe(value: float, digits: int) -> float | None:
    value = float(value)
    if math.isnan(value):
        return None
    return round(value, digits) if digits else float(round(value))

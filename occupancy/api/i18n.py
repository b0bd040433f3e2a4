"""UI strings in zh-CN (the default: the people using this are Chinese community staff) and
English, plus the few language-dependent formats the pages need.

A plain dict per language rather than gettext: there are a few dozen strings, no build step is
wanted, and a test can check both languages have the same keys. Templates call ``t("key")``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-CN"
LANGUAGES = ("zh-CN", "en")
#: Cookie that remembers the choice made with ``?lang=``.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600

MESSAGES: dict[str, dict[str, str]] = {
    "zh-CN": {
        "app.title": "入住核查提示",
        "app.tagline": "用电和灯光显示有生活迹象、但与入住登记不符的住户。"
        "每条提示只是上门核实的线索，不是结论。",
        "nav.home": "全部社区",
        "lang.other": "English",
        "lang.other.code": "en",
        "footer.privacy": "页面只显示住户位置和电表迹象，不含任何个人信息。",
        "footer.prompt": "提示仅供上门核实参考。",
        "communities.title": "社区",
        "communities.empty": "还没有社区数据。导入入住登记并运行检测后，这里会列出各社区。",
        "communities.units": "登记住户",
        "communities.open": "待核查",
        "urgent": "紧急",
        "urgent.hint": "请尽快上门",
        "all": "全部",
        "kind.unregistered_activity": "未登记但有生活迹象",
        "kind.registered_silent": "已登记但无生活迹象",
        "kind.meter_offline": "电表离线",
        "kind.hint.unregistered_activity": "登记表中无人居住，但电表或灯光显示有人生活。",
        "kind.hint.registered_silent": "登记有人居住，但近期几乎没有用电或灯光。",
        "kind.hint.meter_offline": "电表长时间没有上报数据，无法判断。",
        "state.new": "新提示",
        "state.acknowledged": "已知悉",
        "state.visited": "已走访",
        "state.resolved": "已处理",
        "state.dismissed": "已排除",
        "state.withdrawn": "已撤回（数据恢复正常）",
        "state.closed": "已关闭",
        "flag.score": "可信度",
        "flag.evidence": "依据",
        "flag.state": "状态",
        "flag.first_raised": "首次提示",
        "flag.last_raised": "最近提示",
        "flag.not_registered": "不在登记表中",
        "community.counts": "待核查提示（按类型）",
        "community.flags": "提示列表",
        "community.legend": "各类提示的含义",
        "community.none": "该社区目前没有待核查的提示。",
        "community.none_of_kind": "该社区目前没有此类提示。",
        "unit.title": "住户 {unit_id}",
        "unit.register": "入住登记",
        "unit.not_in_register": "该住户不在入住登记表中。",
        "unit.community": "社区",
        "unit.grid": "网格",
        "unit.location": "位置",
        "unit.occupants": "登记人数",
        "unit.vulnerable": "重点关怀对象",
        "unit.updated": "登记更新",
        "unit.flags": "提示记录",
        "unit.no_flags": "该住户没有提示。",
        "yes": "是",
        "no": "否",
        "loc.building": "{value}号楼",
        "loc.entrance": "{value}单元",
        "loc.floor": "{value}层",
        "loc.room": "{value}室",
        "chart.title": "近 {days} 天每小时用电",
        "chart.summary": "有数据 {measured}/{total} 小时，合计 {kwh} 千瓦时",
        "chart.no_data": "这段时间没有电表数据。",
        "chart.unmeasured": "无数据",
        "chart.night": "夜间 0–6 时",
        "chart.lights": "灯光",
        "chart.lights_on": "亮灯",
        "chart.aria": "住户 {unit_id} 近 {days} 天每小时用电柱状图",
        "weekday.0": "周一",
        "weekday.1": "周二",
        "weekday.2": "周三",
        "weekday.3": "周四",
        "weekday.4": "周五",
        "weekday.5": "周六",
        "weekday.6": "周日",
        "format.day": "{month}月{day}日",
        "error.404.title": "未找到",
        "error.404.community": "没有名为“{name}”的社区。",
        "error.404.unit": "没有住户“{name}”的登记、提示或电表数据。",
        "error.404.page": "找不到这个页面。",
        "error.503.title": "暂时无法使用",
        "error.503.body": "数据库或电表数据暂时无法访问，请稍后再试。",
        "back.home": "返回社区列表",
    },
    "en": {
        "app.title": "Occupancy prompts",
        "app.tagline": "Homes whose meters and lights show signs of life the move-in register "
        "doesn't explain. Each flag is a prompt for a visit, not a conclusion.",
        "nav.home": "All communities",
        "lang.other": "中文",
        "lang.other.code": "zh-CN",
        "footer.privacy": "Pages show unit locations and meter evidence only, no personal data.",
        "footer.prompt": "Flags are prompts for a visit.",
        "communities.title": "Communities",
        "communities.empty": "No communities yet. Import the move-in register and run "
        "detection to see them here.",
        "communities.units": "Registered units",
        "communities.open": "Open flags",
        "urgent": "Urgent",
        "urgent.hint": "Visit soon",
        "all": "All",
        "kind.unregistered_activity": "Unregistered activity",
        "kind.registered_silent": "Registered, silent",
        "kind.meter_offline": "Meter offline",
        "kind.hint.unregistered_activity": "Nobody is registered, but meters or lights show "
        "someone living there.",
        "kind.hint.registered_silent": "People are registered, but there has been almost no "
        "electricity use or light lately.",
        "kind.hint.meter_offline": "The meter has not reported for a long time; nothing can "
        "be told.",
        "state.new": "New",
        "state.acknowledged": "Acknowledged",
        "state.visited": "Visited",
        "state.resolved": "Resolved",
        "state.withdrawn": "Withdrawn (data back to normal)",
        "state.closed": "Closed",
        "state.dismissed": "Dismissed",
        "flag.score": "Confidence",
        "flag.evidence": "Evidence",
        "flag.state": "State",
        "flag.first_raised": "First raised",
        "flag.last_raised": "Last raised",
        "flag.not_registered": "Not in the register",
        "community.counts": "Open flags by kind",
        "community.flags": "Flags",
        "community.legend": "What the kinds mean",
        "community.none": "This community has no open flags.",
        "community.none_of_kind": "This community has no open flags of this kind.",
        "unit.title": "Unit {unit_id}",
        "unit.register": "Move-in register",
        "unit.not_in_register": "This unit is not in the move-in register.",
        "unit.community": "Community",
        "unit.grid": "Grid",
        "unit.location": "Location",
        "unit.occupants": "Registered occupants",
        "unit.vulnerable": "Needs extra care",
        "unit.updated": "Register updated",
        "unit.flags": "Flags",
        "unit.no_flags": "This unit has no flags.",
        "yes": "Yes",
        "no": "No",
        "loc.building": "Bldg {value}",
        "loc.entrance": "Entr. {value}",
        "loc.floor": "Fl. {value}",
        "loc.room": "Rm {value}",
        "chart.title": "Hourly electricity, last {days} days",
        "chart.summary": "Measured {measured}/{total} hours, {kwh} kWh in total",
        "chart.no_data": "No meter data for this period.",
        "chart.unmeasured": "No data",
        "chart.night": "Night 0–6 h",
        "chart.lights": "Lights",
        "chart.lights_on": "Lights on",
        "chart.aria": "Bar chart of hourly electricity of unit {unit_id} over {days} days",
        "weekday.0": "Mon",
        "weekday.1": "Tue",
        "weekday.2": "Wed",
        "weekday.3": "Thu",
        "weekday.4": "Fri",
        "weekday.5": "Sat",
        "weekday.6": "Sun",
        "format.day": "{month}/{day}",
        "error.404.title": "Not found",
        "error.404.community": "There is no community called “{name}”.",
        "error.404.unit": "Unit “{name}” has no register entry, flags or meter data.",
        "error.404.page": "This page does not exist.",
        "error.503.title": "Temporarily unavailable",
        "error.503.body": "The database or the meter readings cannot be reached right now. "
        "Please try again later.",
        "back.home": "Back to communities",
    },
}


def _merge_feature_messages() -> None:
    """Add every ``occupancy.api.messages.<feature>.MESSAGES``; a key defined twice is a bug."""
    import importlib
    import pkgutil

    from occupancy.api import messages

    for info in sorted(pkgutil.iter_modules(messages.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{messages.__name__}.{info.name}")
        for language, strings in getattr(module, "MESSAGES", {}).items():
            clash = set(MESSAGES[language]) & set(strings)
            if clash:
                raise RuntimeError(f"{info.name} redefines UI strings {sorted(clash)}")
            MESSAGES[language].update(strings)


_merge_feature_messages()


def normalize_language(value: str | None) -> str | None:
    """Map what people type (``zh``, ``zh_cn``, ``EN-us``) to a supported code, else None."""
    if not value:
        return None
    code = value.strip().replace("_", "-").lower()
    if code == "zh" or code.startswith(("zh-cn", "zh-hans", "zh-sg")):
        return "zh-CN"
    if code == "en" or code.startswith("en-"):
        return "en"
    return None


def pick_language(query: str | None, cookie: str | None) -> str:
    """``?lang=`` wins, then the remembered cookie, then zh-CN."""
    return normalize_language(query) or normalize_language(cookie) or DEFAULT_LANGUAGE


def _evidence_text_zh(evidence: Mapping[str, Any]) -> str | None:
    """The detector's Chinese rendering of a flag's numbers, or None when it is missing or
    fails: a page must never break because a flag carries evidence the renderer doesn't know."""
    try:
        from occupancy.flags.evidence import evidence_text_zh
    except ImportError:
        return None
    try:
        text = evidence_text_zh(dict(evidence))
    except Exception:
        logger.warning("evidence_text_zh failed for %r; showing the English text", evidence)
        return None
    return text if isinstance(text, str) and text.strip() else None


class Translator:
    """Strings and formats of one language, handed to templates as ``t``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in MESSAGES else DEFAULT_LANGUAGE
        self._messages = MESSAGES[self.language]

    def __call__(self, key: str, **values: Any) -> str:
        """The string for ``key``; falls back to English, then to the key itself, so a missing
        string shows up as text to fix instead of an error page."""
        text = self._messages.get(key) or MESSAGES["en"].get(key) or key
        return text.format(**values) if values else text

    def _optional(self, key: str, fallback: str) -> str:
        return self._messages.get(key, fallback)

    def kind(self, kind: str) -> str:
        """Label of a flag kind; an unknown kind (a newer detector) shows its raw name."""
        return self._optional(f"kind.{kind}", kind)

    def kind_hint(self, kind: str) -> str:
        return self._optional(f"kind.hint.{kind}", "")

    def state(self, state: str) -> str:
        return self._optional(f"state.{state}", state)

    def evidence(self, evidence_text: str, evidence: Mapping[str, Any] | None) -> str:
        """The flag's evidence in this language; English (as stored) when no translation."""
        if self.language == "zh-CN" and evidence:
            return _evidence_text_zh(evidence) or evidence_text
        return evidence_text

    def location(self, building: str, entrance: str, floor: str, room: str) -> str:
        """``3号楼 2单元 5层 502室`` / ``Bldg 3 · Entr. 2 · Fl. 5 · Rm 502``; blank parts left
        out."""
        parts = [
            self(f"loc.{name}", value=value)
            for name, value in (
                ("building", building),
                ("entrance", entrance),
                ("floor", floor),
                ("room", room),
            )
            if value
        ]
        return (" " if self.language == "zh-CN" else " · ").join(parts)

    def day(self, moment: datetime) -> str:
        """Day label for chart axes: ``5月12日 周日`` / ``Sun 5/12``."""
        date = self("format.day", month=moment.month, day=moment.day)
        weekday = self.weekday(moment)
        return f"{date} {weekday}" if self.language == "zh-CN" else f"{weekday} {date}"

    def weekday(self, moment: datetime) -> str:
        return self(f"weekday.{moment.weekday()}")

    def short_date(self, moment: datetime) -> str:
        """``5/12`` in both languages: month first as in Chinese usage, on narrow screens."""
        return f"{moment.month}/{moment.day}"

    def datetime(self, moment: datetime | None, tz: tzinfo) -> str:
        """Local date and time; naive values (SQLite drops the zone) are taken as UTC."""
        if moment is None:
            return ""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def percent(self, value: float | None) -> str:
        if value is None:
            return "–"
        return f"{max(0.0, min(1.0, value)) * 100:.0f}%"

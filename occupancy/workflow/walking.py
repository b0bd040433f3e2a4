"""Natural ordering of address parts, so a door-knock list follows the stairwell.

Register values are free text typed by different people: "2", "10", "3栋", "10栋", "02",
"１０" (full-width), "三单元", "B1", or nothing. ``natural_key`` compares runs of digits (and of
Chinese numerals) by value and the rest as case-folded text, so "2" < "10", "3栋" < "10栋",
"三单元" < "十一单元"; numbers come before letters ("B1", a basement, after "30"); a missing
value sorts after every present one (the worker finds those last, by unit ID).
"""

from __future__ import annotations

import re
import unicodedata

_CHUNKS = re.compile(r"(\d+|[零〇一二两三四五六七八九十百千]+)")
_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}

Key = tuple[int, tuple[tuple[int, int, str], ...], str]


def natural_key(value: str | None) -> Key:
    """A sort key: numbers by value, text case-folded, empty last, then the raw text."""
    text = unicodedata.normalize("NFKC", value or "").strip()
    if not text:
        return (1, (), "")
    parts: list[tuple[int, int, str]] = []
    for chunk in _CHUNKS.split(text):
        if not chunk:
            continue
        if chunk.isdecimal():
            parts.append((0, int(chunk), ""))
        elif chunk[0] in _ZH_DIGITS or chunk[0] in _ZH_UNITS:
            parts.append((0, chinese_number(chunk), ""))
        else:
            parts.append((1, 0, chunk.casefold()))
    return (0, tuple(parts), text)


def chinese_number(text: str) -> int:
    """Value of a Chinese numeral below 10,000: "十一" 11, "二十" 20, "一百零五" 105, and digit
    by digit "一〇一" 101 (how room numbers are often written)."""
    if not any(c in _ZH_UNITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + _ZH_DIGITS[c]
        return value
    total, digit = 0, None
    for c in text:
        if c in _ZH_DIGITS:
            digit = _ZH_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _ZH_UNITS[c]
            digit = None
    return total + (digit or 0)

"""The translation table: both languages complete, every string a template asks for present."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from occupancy.api.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    MESSAGES,
    Translator,
    normalize_language,
    pick_language,
)
from occupancy.api.templating import TEMPLATES_DIR
from occupancy.flags.record import FLAG_KINDS


def test_zh_and_en_have_the_same_keys() -> None:
    assert set(MESSAGES) == set(LANGUAGES)
    assert set(MESSAGES["zh-CN"]) == set(MESSAGES["en"])


def test_placeholders_match_between_languages() -> None:
    """A ``{name}`` missing from one translation would silently drop the value."""

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    for key, zh in MESSAGES["zh-CN"].items():
        assert fields(zh) == fields(MESSAGES["en"][key]), key


def test_every_kind_has_a_label_and_hint() -> None:
    for kind in FLAG_KINDS:
        for language in LANGUAGES:
            assert f"kind.{kind}" in MESSAGES[language]
            assert f"kind.hint.{kind}" in MESSAGES[language]


def test_every_key_used_by_a_template_exists() -> None:
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        # Whole keys only: ``t("role." ~ user.role)`` builds its key and is checked by the
        # tests of each value set (roles, states, kinds).
        text = template.read_text("utf-8")
        used |= set(re.findall(r"""\bt\(\s*["']([\w.]+)["']\s*[),]""", text))
    assert used, "no t('...') calls found; has the template syntax changed?"
    assert used - set(MESSAGES["en"]) == set()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh", "zh-CN"),
        ("zh_CN", "zh-CN"),
        ("zh-Hans", "zh-CN"),
        ("EN", "en"),
        ("en-US", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_language(given: str | None, expected: str | None) -> None:
    assert normalize_language(given) == expected


def test_query_beats_cookie_beats_default() -> None:
    assert pick_language("en", "zh-CN") == "en"
    assert pick_language(None, "en") == "en"
    assert pick_language("xx", None) == DEFAULT_LANGUAGE == "zh-CN"


def test_unknown_kind_and_state_show_their_raw_name() -> None:
    t = Translator("zh-CN")
    assert t.kind("new_kind_from_a_newer_detector") == "new_kind_from_a_newer_detector"
    assert t.state("escalated") == "escalated"
    assert t("no.such.key") == "no.such.key"


def test_location_leaves_out_blank_parts() -> None:
    assert Translator("zh-CN").location("3", "", "5", "502") == "3号楼 5层 502室"
    assert Translator("en").location("A", "1", "", "") == "Bldg A · Entr. 1"


def test_datetime_is_local_and_naive_means_utc() -> None:
    t = Translator("en")
    shanghai = ZoneInfo("Asia/Shanghai")
    assert t.datetime(datetime(2024, 5, 14, 23, 30), shanghai) == "2024-05-15 07:30"
    assert t.datetime(datetime(2024, 5, 14, 23, 30, tzinfo=UTC), shanghai) == "2024-05-15 07:30"
    assert t.datetime(None, shanghai) == ""


def test_percent_is_clamped() -> None:
    t = Translator("en")
    assert t.percent(0.712) == "71%"
    assert t.percent(1.7) == "100%"
    assert t.percent(None) == "–"


def test_evidence_falls_back_to_english_without_a_zh_renderer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "occupancy.flags.evidence", None)  # import fails
    assert Translator("zh-CN").evidence("Quiet for a week.", {"days": 7}) == "Quiet for a week."

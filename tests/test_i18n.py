"""Messages: every language has every message, and the screens ask only for messages that exist."""

import re
from pathlib import Path

import pytest

from kiosk.settings import LANGUAGES
from kiosk.i18n import messages
from protocol.ratings import REASONS, Scale

UI = Path(__file__).resolve().parent.parent / "kiosk" / "ui"


def test_every_language_has_the_same_keys():
    keys = {lang: set(messages(lang).by_key) for lang in LANGUAGES}
    reference = keys["zh-TW"]
    for lang, have in keys.items():
        assert have == reference, f"{lang}: missing {sorted(reference - have)}, extra {sorted(have - reference)}"


def test_every_literal_key_the_kv_files_use_exists():
    used = set()
    for kv in UI.glob("*.kv"):
        used |= set(re.findall(r'app\.t\("([a-z_]+\.[a-z_]+)"', kv.read_text()))
    assert used, "found no app.t(...) calls: the pattern is out of date"
    missing = used - set(messages("zh-TW").by_key)
    assert not missing, f"kv files ask for messages that do not exist: {sorted(missing)}"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_choice_and_reason_has_a_label(lang):
    known = messages(lang).by_key
    for size in (3, 5):
        for choice in Scale.of_size(size).choices:
            assert f"choice.{choice.key}" in known
    for reason in REASONS:
        assert f"reason.{reason}" in known
        assert re.search(rf'app\.ratings\.answer_reason\("{reason}"\)', (UI / "rating.kv").read_text()), \
            f"the why-question has no button for {reason!r}"


def test_an_unknown_language_is_refused_by_name():
    with pytest.raises(ValueError, match="'vi'.*zh-TW, en"):
        messages("vi")

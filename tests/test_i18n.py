"""Messages: the gettext catalogues a translator edits (kiosk/locale/), complete, with the source's placeholders,
marked with their review state; the code asks only for messages that exist and writes no text of its own."""

import re
import shutil
import string
import unicodedata
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from kiosk import i18n
from kiosk.i18n import SOURCE_LANGUAGE, TEMPLATE, messages, po_path
from kiosk.settings import LANGUAGES
from protocol.ratings import REASONS, Scale

KIOSK = Path(__file__).resolve().parent.parent / "kiosk"
UI = KIOSK / "ui"
#: Every catalogue shipped, whether or not its language can be chosen yet (LANGUAGES): all are checked.
TRANSLATED = sorted(path.parent.parent.name.replace("_", "-") for path in (KIOSK / "locale").glob("*/LC_MESSAGES/kiosk.po"))


def read(path):
    with open(path, "rb") as fh:
        return read_po(fh)


def entries(catalog):
    return {entry.context: entry for entry in catalog if entry.id and entry.context}


def fields(text):
    """The ``{placeholders}`` of a message, as str.format reads them."""
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def forms(value):
    return list(value) if isinstance(value, (tuple, list)) else [value]


TEMPLATE_ENTRIES = entries(read(TEMPLATE))


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_language_translates_every_message_of_the_template(lang):
    have = entries(read(po_path(lang)))
    assert set(have) == set(TEMPLATE_ENTRIES), (
        f"{po_path(lang)}: missing {sorted(set(TEMPLATE_ENTRIES) - set(have))}, "
        f"extra {sorted(set(have) - set(TEMPLATE_ENTRIES))}; run make messages")
    untranslated = [key for key, entry in have.items() if not all(forms(entry.string))]
    fuzzy = [key for key, entry in have.items() if entry.fuzzy]
    assert untranslated == [] and fuzzy == [], f"{lang}: untranslated {untranslated}, fuzzy (to check) {fuzzy}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_translations_keep_the_placeholders_of_the_source(lang):
    wrong = []
    for key, entry in entries(read(po_path(lang))).items():
        source = {tuple(fields(text)) for text in forms(TEMPLATE_ENTRIES[key].id)}
        for text in forms(entry.string):
            if tuple(fields(text)) not in source:
                wrong.append(f"{key}: {text!r} has {fields(text)}, the source {sorted(source)}")
    assert wrong == [], "; ".join(wrong)


@pytest.mark.parametrize("lang", TRANSLATED)
def test_plural_forms_are_the_languages_own(lang):
    catalog = read(po_path(lang))
    count, rule = get_plural(lang.replace("-", "_"))
    assert (catalog.num_plurals, catalog.plural_expr) == (count, rule)
    for key, entry in entries(catalog).items():
        if isinstance(TEMPLATE_ENTRIES[key].id, (tuple, list)):
            assert len(forms(entry.string)) == count, f"{lang} {key}: {count} forms expected"


def test_every_language_the_kiosk_speaks_has_a_catalogue():
    assert set(LANGUAGES) - {SOURCE_LANGUAGE} <= set(TRANSLATED)


def test_a_plural_message_takes_the_form_its_count_needs():
    assert messages("en").text("admin.pin_wrong", count=1) == "Wrong PIN: 1 try left"
    assert messages("en").text("admin.pin_wrong", count=4) == "Wrong PIN: 4 tries left"
    assert messages("zh-TW").text("admin.pin_wrong", count=1) == "密碼錯誤，還可以再試 1 次"
    with pytest.raises(TypeError, match="count"):
        messages("en").text("admin.pin_wrong")


@pytest.mark.parametrize("lang", TRANSLATED)
def test_each_catalogue_says_whether_a_native_speaker_at_the_office_has_signed_it_off(lang):
    header = read(po_path(lang)).header_comment
    state = re.search(r"^# Review: (draft|reviewed)\b", header, re.M)
    assert state, f"{po_path(lang)}: the header comment needs '# Review: draft' or '# Review: reviewed'"
    signed = re.search(r"^# Reviewed-By: *(.*)$", header, re.M)
    assert signed is not None, "the header comment needs a '# Reviewed-By:' line"
    if state.group(1) == "reviewed":
        assert re.fullmatch(r".+, \d{4}-\d{2}-\d{2}", signed.group(1)), "reviewed: give the name and the date"


def test_a_message_not_yet_translated_shows_in_english_not_blank(tmp_path, monkeypatch):
    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    po = locale / "zh_TW" / "LC_MESSAGES" / "kiosk.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "抽號碼牌"', 'msgstr ""', 1), encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", locale)
    monkeypatch.setattr(i18n, "TEMPLATE", locale / "kiosk.pot")
    i18n.messages.cache_clear()
    try:
        assert messages("zh-TW").text("home.ticket") == "Take a number"
        assert messages("zh-TW").text("home.forms") == "下載書表"
    finally:
        i18n.messages.cache_clear()  # the shipped catalogues again for the tests that follow


def _keys_in_code():
    """Every key the kv files and the Python code ask for literally (app.t("…"), messages(...).text("…"))."""
    used = {}
    for path in sorted(KIOSK.rglob("*.kv")) + sorted(KIOSK.rglob("*.py")):
        for key in re.findall(r'(?:\bt|\.text)\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")):
            used.setdefault(key, path.relative_to(KIOSK))
    return used


def test_every_key_the_code_asks_for_is_in_the_template():
    used = _keys_in_code()
    assert len(used) > 60, "found few literal keys: the pattern is out of date"
    missing = {key: str(path) for key, path in used.items() if key not in TEMPLATE_ENTRIES}
    assert missing == {}, f"the code asks for messages the template lacks: {missing}"


def test_the_screens_write_no_text_of_their_own():
    """A word on screen comes from the catalogue: a kv `text:` is a message, a number or a symbol, never words."""
    literal = re.compile(r'^\s*text:\s*(["\'])([^"\']*)\1\s*$')  # a value that is one string, nothing else
    words = [f"{kv.name}:{n}: {line.strip()}" for kv in sorted(UI.glob("*.kv"))
             for n, line in enumerate(kv.read_text(encoding="utf-8").splitlines(), start=1)
             if (m := literal.match(line)) and re.search(r"[^\W\d_]", m.group(2))]
    assert words == [], "words written in kv instead of the catalogue: " + "; ".join(words)


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
    with pytest.raises(ValueError, match="'xx'.*zh-TW, en"):
        messages("xx")


def test_the_catalogues_are_what_make_messages_makes_of_the_template(tmp_path):
    """`make messages` (pybabel update) changes nothing: every catalogue has the template's entries, in its order."""
    import subprocess
    import sys

    locale = tmp_path / "locale"
    shutil.copytree(i18n.LOCALE_DIR, locale)
    updated = subprocess.run([sys.executable, "-m", "babel.messages.frontend", "update", "-i", str(locale / "kiosk.pot"),
                              "-d", str(locale), "-D", "kiosk", "-w", "120"], capture_output=True, text=True)
    assert updated.returncode == 0, updated.stderr
    dated = re.compile(r'^"(POT-Creation-Date|PO-Revision-Date): .*$', re.M)
    for lang in TRANSLATED:
        relative = po_path(lang).relative_to(i18n.LOCALE_DIR)
        shipped, made = (dated.sub("", path.read_text(encoding="utf-8")) for path in (po_path(lang), locale / relative))
        assert made == shipped, f"{relative} is not in step with kiosk.pot: run make messages"


#: Thai runs without a marked word boundary longer than this (in letters: the vowel and tone marks above and
#: below take no room of their own) cannot be broken across lines: a translator pasted unsegmented text
#: (kiosk/locale/README.md says how to mark the boundaries).  ประชาสัมพันธ์ has 10.
LONGEST_THAI_WORD = 12


def test_thai_messages_mark_where_a_line_may_break_between_words():
    """Thai puts no spaces between words: the kiosk breaks its lines only where the catalogue has a U+200B."""
    too_long = []
    for key, entry in entries(read(po_path("th"))).items():
        for text in forms(entry.string):
            too_long += [f"{key}: {word}" for word in re.findall("[\u0e00-\u0e7f]+", text)
                         if sum(not unicodedata.combining(c) and unicodedata.category(c) != "Mn" for c in word)
                         > LONGEST_THAI_WORD]
    assert too_long == [], "Thai without word boundaries (U+200B) marked: " + "; ".join(too_long)
    assert "\u200b" in messages("th").text("home.forms_hint")


def test_the_header_date_is_in_each_language_with_the_roc_year_forms_use():
    from datetime import date

    from kiosk.i18n import long_date

    day = date(2026, 12, 8)  # a Tuesday
    assert long_date(day, "zh-TW") == "民國115年12月8日（二）"
    assert long_date(day, "en") == "Tue 8 Dec 2026 (ROC 115)"
    assert long_date(day, "vi") == "8/12/2026 (Dân Quốc 115)"  # CLDR's own format for each language
    assert long_date(day, "id") == "8 Des 2026 (Minguo 115)"
    assert long_date(day, "th") == "8 ธ.ค. 2026 (ปี\u200bหมินกั๋ว 115)"  # the glossary's terms
    assert long_date(day, "fil") == "Dis 8, 2026 (ROC 115)"

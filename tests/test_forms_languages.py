"""Service names, category and form titles and descriptions in vi, id, th and fil (issue 19): the formats' optional
per-language keys, the fallback rule, a clear error for a language the kiosk does not speak, and the shipped
texts complete (every form, category and default service in all four), Thai marked where lines may break,
Vietnamese in NFC."""

import re
import subprocess
import sys
import unicodedata
from pathlib import Path


from protocol.forms_format import SHIPPED as SHIPPED_FILE, load_catalogue, load_sources, parse_file
from protocol.languages import OTHER_LANGUAGES, pick
from protocol.service_list import DEFAULT_SERVICES, parse_services
from test_i18n import LONGEST_THAI_WORD

SHIPPED, SHIPPED_PROBLEMS = load_catalogue()

FORM = '''
[[categories]]
code = "pets"
title = "寵物"
title_en = "Pets"
{category_extra}
[[forms]]
code = "pet-licence"
category = "pets"
title = "寵物登記申請書"
title_en = "Pet licence application"
description = "養狗時填寫"
description_en = "When you keep a dog."
url = "https://office.example/pet.pdf"
{form_extra}
'''


def parse(category_extra="", form_extra=""):
    layer, problems = parse_file(FORM.format(category_extra=category_extra, form_extra=form_extra), "office.toml")
    return layer, problems


def thai_runs_too_long(text):
    """Thai runs longer than LONGEST_THAI_WORD letters with no U+200B: lines could not break inside them."""
    return [run for run in re.findall("[\u0e00-\u0e7f]+", text)
            if sum(not unicodedata.combining(c) and unicodedata.category(c) != "Mn" for c in run) > LONGEST_THAI_WORD]


# -- the format --------------------------------------------------------------------------------------

def test_a_file_without_other_languages_is_still_valid_and_falls_back_to_english():
    layer, problems = parse()
    assert problems == []
    form, category = layer.forms[0][0], layer.categories[0]
    assert (form.title_in("vi"), form.description_in("th"), category.title_in("fil")) == (
        "Pet licence application", "When you keep a dog.", "Pets")
    assert (form.title_in("zh-TW"), form.title_in("en")) == ("寵物登記申請書", "Pet licence application")


def test_a_file_with_other_languages_gives_each_reader_their_own():
    layer, problems = parse('title_vi = "Thú cưng"\n',
                            'title_vi = "Đơn đăng ký thú cưng"\ndescription_vi = "Khi nuôi chó."\n'
                            'title_th = "แบบ\u200bคำร้อง\u200bสัตว์เลี้ยง"\n')
    assert problems == []
    form, category = layer.forms[0][0], layer.categories[0]
    assert category.title_in("vi") == "Thú cưng"
    assert (form.title_in("vi"), form.description_in("vi")) == ("Đơn đăng ký thú cưng", "Khi nuôi chó.")
    assert form.title_in("th") == "แบบ\u200bคำร้อง\u200bสัตว์เลี้ยง"
    assert form.description_in("th") == "When you keep a dog."  # no Thai description: English, not Chinese
    assert form.title_in("id") == "Pet licence application"
    assert form.title_in("zh-TW") == "寵物登記申請書"


def test_vietnamese_typed_decomposed_is_kept_composed():
    decomposed = unicodedata.normalize("NFD", "Đơn đăng ký")
    layer, problems = parse(form_extra=f'title_vi = "{decomposed}"\n')
    assert problems == [] and layer.forms[0][0].title_in("vi") == unicodedata.normalize("NFC", decomposed)


def test_a_language_the_kiosk_does_not_speak_is_reported_with_its_entry_key_and_the_languages_allowed():
    _layer, problems = parse('title_ja = "ペット"\n', 'description_vn = "Khi nuôi chó."\ntitle_vi = 3\n')
    by_key = {p.key: p for p in problems}
    assert set(by_key) == {"categories.pets.title_ja", "forms.pet-licence.description_vn", "forms.pet-licence.title_vi"}
    message = str(by_key["categories.pets.title_ja"])
    assert message.startswith("office.toml:6: categories.pets.title_ja: the kiosk speaks no language 'ja'")
    assert "vi (title_vi), id (title_id), th (title_th), fil (title_fil)" in message
    assert "'vn'" in by_key["forms.pet-licence.description_vn"].message
    assert "description_vi" in by_key["forms.pet-licence.description_vn"].message
    assert by_key["forms.pet-licence.title_vi"].message == "must be a string, got 3"


def test_services_take_names_in_other_languages_and_report_a_wrong_one():
    entry = {"prefix": "A", "name": "戶籍登記", "name_en": "Household registration", "name_vi": "Đăng ký hộ tịch"}
    [service], problems = parse_services([entry], {})
    assert problems == []
    assert (service.name_in("vi"), service.name_in("th"), service.name_in("zh-TW")) == (
        "Đăng ký hộ tịch", "Household registration", "戶籍登記")
    plain, problems = parse_services([{k: v for k, v in entry.items() if k != "name_vi"}], {})
    assert problems == [] and plain[0].name_in("vi") == "Household registration"  # an old config: still valid
    _services, problems = parse_services([{**entry, "name_ja": "戸籍"}], {"services[0].name_ja": 7})
    [(key, message, line)] = problems
    assert (key, line) == ("services[0].name_ja", 7)
    assert "no language 'ja'" in message and "vi (name_vi)" in message and "fil (name_fil)" in message


def test_a_kiosk_config_with_translated_services_loads_and_config_show_prints_them(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text('[[services]]\nprefix = "A"\nname = "戶籍登記"\nname_en = "Household registration"\n'
                    'name_vi = "Đăng ký hộ tịch"\nname_th = "การ\\u200bจด\\u200bทะเบียน"\n', encoding="utf-8")
    from kiosk.config import load_config
    [service] = load_config(str(path)).services
    assert service.name_in("th") == "การ\u200bจด\u200bทะเบียน"
    kiosk = Path(sys.executable).parent / "kiosk"  # the command a technician runs
    shown = subprocess.run([str(kiosk), "config", "show", "--config", str(path)],
                           capture_output=True, text=True, check=True).stdout
    assert 'name_vi = "Đăng ký hộ tịch"' in shown
    assert 'name_th = "การ\\u200bจด\\u200bทะเบียน"' in shown  # the invisible break written so a technician sees it


def test_the_fallback_rule():
    texts = (("vi", "Việt"), ("th", ""))
    assert [pick(lang, "中", "En", texts) for lang in ("zh-TW", "en", "vi", "th", "id", "fil")] == [
        "中", "En", "Việt", "En", "En", "En"]


def test_an_office_override_keeps_the_shipped_translations_of_what_it_does_not_replace():
    override = ('[[forms]]\ncode = "move-in"\ncategory = "household"\ntitle = "遷入"\ntitle_en = "Move in"\n'
                'url = "https://office.example/m.pdf"\n')
    catalogue, problems = load_sources([(SHIPPED_FILE.read_text(encoding="utf-8"), "shipped"), (override, "office")])
    assert problems == []
    assert catalogue.by_code("move-in").title_in("vi") == "Move in"  # replaced whole: its own texts only
    assert catalogue.by_code("move-out").title_in("vi") == "Đơn đăng ký chuyển đi"


# -- the shipped texts ---------------------------------------------------------------------------------

def shipped_texts():
    for category in SHIPPED.categories:
        yield f"category {category.code}", "title", category.title_en, dict(category.titles)
    for form in SHIPPED.forms:
        yield f"form {form.code}", "title", form.title_en, dict(form.titles)
        yield f"form {form.code}", "description", form.description_en, dict(form.descriptions)
    for service in DEFAULT_SERVICES:
        yield f"service {service.prefix}", "name", service.name_en, dict(service.names)


def test_every_shipped_form_category_and_default_service_is_in_all_four_languages():
    assert SHIPPED_PROBLEMS == []
    assert len(SHIPPED.forms) == 33 and len(SHIPPED.categories) == 8 and len(DEFAULT_SERVICES) == 7
    missing = [f"{what} {key}_{lang}" for what, key, _en, texts in shipped_texts()
               for lang in OTHER_LANGUAGES if not texts.get(lang, "").strip()]
    assert missing == []


def test_shipped_thai_marks_where_a_line_may_break_and_vietnamese_is_composed():
    too_long, not_nfc = [], []
    for what, key, _en, texts in shipped_texts():
        too_long += [f"{what} {key}_th: {run}" for run in thai_runs_too_long(texts["th"])]
        if unicodedata.normalize("NFC", texts["vi"]) != texts["vi"]:
            not_nfc.append(f"{what} {key}_vi")
    assert too_long == [], "Thai without word boundaries (U+200B) marked: " + "; ".join(too_long)
    assert not_nfc == []
    assert "\u200b" in SHIPPED.by_code("move-in").title_in("th")


def test_the_translations_are_translations_not_copies_of_the_chinese():
    for what, key, _en, texts in shipped_texts():
        for lang in ("vi", "id", "th"):
            assert not re.search("[\u4e00-\u9fff]", texts[lang]), f"{what} {key}_{lang}: Chinese in {texts[lang]!r}"
        assert re.search("[\u0e00-\u0e7f]", texts["th"]), f"{what} {key}_th is not Thai: {texts['th']!r}"


def test_the_shipped_file_says_its_translations_are_drafts_for_review():
    header = SHIPPED_FILE.read_text(encoding="utf-8").split("\n[[categories]]", 1)[0]
    assert re.search(r"^# Review: (draft|reviewed)\b", header, re.M)

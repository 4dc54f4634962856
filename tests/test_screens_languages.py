"""The ticket tiles and the forms screens in the residents' languages (issue 19): each name, title and description
in the screen's language, from the service list and the forms catalogue, drawn whole inside its tile or row."""

from dataclasses import replace

import pytest

from protocol.languages import OTHER_LANGUAGES
from protocol.service_list import DEFAULT_SERVICES
from screen_checks import broken_words, drawn_lines, inside, text_rect, window_rect
from test_forms_layout import check_text, labels_of

SMALL = (800, 480)  # the official 7" display: the least room


def show_tiles(ui, lang, size=SMALL):
    ui.app.lang = lang
    ui.resize(size)
    ui.app.show("ticket")
    ui.frames(4)
    return {tile.prefix: tile for tile in ui.screen.tiles()}


def test_the_kiosk_under_test_uses_the_office_s_usual_services():
    # the tiles below are the shipped list's: its names in every language are what these tests look for
    from kiosk.config import Config, defaults
    assert Config(defaults()).services == DEFAULT_SERVICES


@pytest.mark.parametrize("lang, a_name", [("vi", "Đăng ký hộ tịch"), ("id", "Pendaftaran rumah tangga"),
                                          ("th", "การ\u200bจด\u200bทะเบียนราษฎร์"), ("fil", "Household registration"),
                                          ("zh-TW", "戶籍登記"), ("en", "Household registration")])
def test_each_tile_shows_its_service_in_the_screen_s_language_whole_inside_the_tile(ui, lang, a_name):
    tiles = show_tiles(ui, lang)
    assert tiles["A"].ids.name.text == a_name
    for service in ui.app.kiosk_config.services:
        label = tiles[service.prefix].ids.name
        assert label.text == service.name_in(lang)
        assert inside(text_rect(label), window_rect(tiles[service.prefix])), f"{label.text!r} leaves its tile"
        assert not broken_words(label, lang), f"{label.text!r} drawn as {drawn_lines(label)}"


def test_a_language_switch_renames_the_tiles_at_once(ui):
    tiles = show_tiles(ui, "vi")
    assert tiles["D"].ids.name.text == "Tân di dân, quốc tịch"
    ui.app.lang = "th"
    ui.frames(3)
    assert tiles["D"].ids.name.text == "ผู้ตั้งถิ่นฐาน\u200bใหม่, สัญชาติ"
    # Thai breaks only at the marked boundaries: every drawn line is whole words
    assert not broken_words(tiles["D"].ids.name, "th")


def test_a_service_configured_without_a_vietnamese_name_shows_its_english_one(ui, monkeypatch):
    services = [replace(s, names=()) if s.prefix == "B" else s for s in ui.app.kiosk_config.services]
    monkeypatch.setattr(ui.app, "kiosk_config", ui.app.kiosk_config.with_services(services))
    ui.app.manager.get_screen("ticket").services = services
    try:
        tiles = show_tiles(ui, "vi")
        assert tiles["B"].ids.name.text == "ID card, household certificate"  # English, not 身分證、戶口名簿
        assert tiles["A"].ids.name.text == "Đăng ký hộ tịch"
    finally:
        ui.app.manager.get_screen("ticket").services = list(DEFAULT_SERVICES)


@pytest.mark.parametrize("lang", ["vi", "th"])
def test_the_categories_and_popular_forms_are_in_the_screen_s_language(ui, lang):
    ui.app.lang = lang
    ui.resize(SMALL)
    ui.app.show("forms")
    ui.frames(6)
    catalogue = ui.app.forms.catalogue
    tiles = ui.screen.ids.categories.children[::-1]
    assert [t.ids.title.text for t in tiles] == [catalogue.category(t.code).title_in(lang) for t in tiles]
    assert ui.screen.ids.categories.children[-1].ids.title.text != catalogue.categories[0].title_en
    for tile in tiles:
        check_text(ui, tile.ids.title, tile, f"category {tile.code} in {lang}")
    for box in ui.screen.ids.popular.children:
        assert box.ids.title.text == catalogue.by_code(box.code).title_in(lang)


@pytest.mark.parametrize("lang", ["vi", "th"])
def test_a_category_s_rows_give_title_and_description_in_the_language_whole(ui, lang):
    ui.app.lang = lang
    ui.resize(SMALL)
    ui.app.forms.open_category("household")
    ui.frames(6)
    screen = ui.screen
    assert screen.ids.header.title == ui.app.forms.catalogue.category("household").title_in(lang)
    for row in screen.ids.rows.children:
        form = ui.app.forms.catalogue.by_code(row.code)
        assert (row.ids.title.text, row.ids.description.text) == (form.title_in(lang), form.description_in(lang))
        assert row.ids.description.text not in (form.description, form.description_en)
        for label in labels_of(row):
            check_text(ui, label, row, f"row {row.code} in {lang}")


@pytest.mark.parametrize("lang", ["vi", "th"])
@pytest.mark.parametrize("code", ["id-card", "transcript-en", "adoption-termination"])
def test_one_form_s_screen_names_it_in_the_language(ui, lang, code):
    ui.app.lang = lang
    ui.resize(SMALL)
    ui.app.forms.open_form(code, count_view=False)
    ui.frames(6)
    screen = ui.screen
    form = ui.app.forms.catalogue.by_code(code)
    assert screen.ids.title.text == form.title_in(lang) == dict(form.titles)[lang]
    assert screen.ids.description.text == dict(form.descriptions)[lang]
    for name in ("title", "description"):
        check_text(ui, screen.ids[name], screen.ids.body, f"{code} {name} in {lang}")


def test_every_language_of_the_screens_has_its_texts():
    from kiosk.settings import LANGUAGES
    assert set(LANGUAGES) == {"zh-TW", "en", *OTHER_LANGUAGES}

"""The office's forms list keeps the titles and descriptions in vi, id, th and fil (issue 19): seeded from the
shipped catalogue, edited on /forms, sent to the kiosks, imported, and added to a database made before them."""

from dataclasses import replace

import pytest
from sqlalchemy import select

from protocol.forms_format import load_catalogue, parse_file
from kiosk.forms import FormCatalogueCache
from office import forms_list
from office.app import create_app
from office.db import Database
from office.schema import FORMS, META, SCHEMA_VERSION

from test_office_forms import NOW, table_form
from office_sign_in import clerk

SHIPPED = load_catalogue()[0]


@pytest.fixture
def db():
    with Database("sqlite://") as database:
        yield database


@pytest.fixture
def app(db):
    return create_app(db, clock=lambda: NOW)


def by_code(db):
    return {row.code: row for row in forms_list.rows(db)}


def test_a_kiosk_gets_the_office_s_list_in_every_language(app, db, tmp_path):
    token = db.add_kiosk("ERLIN-01")
    answer = app.test_client().get("/api/v1/kiosks/ERLIN-01/config", headers={"Authorization": f"Bearer {token}"})
    cache = FormCatalogueCache(tmp_path)
    assert cache.update(answer.get_json()["forms"], "office server") == []
    shown = cache.current()
    for form in SHIPPED.forms:
        got = shown.by_code(form.code)
        assert (got.titles, got.descriptions) == (form.titles, form.descriptions), form.code
    assert shown.by_code("move-in").title_in("vi") == "Đơn đăng ký chuyển đến"
    assert shown.category("household").title_in("th") == SHIPPED.category("household").title_in("th")


def test_a_clerk_edits_a_vietnamese_title_on_the_page_and_a_save_keeps_the_other_languages(app, db):
    staff = clerk(app)
    html = staff.get("/forms").get_data(as_text=True)
    assert "Đơn đăng ký chuyển đến" in html and "其他語言" in html
    n = [row.code for row in forms_list.rows(db)].index("move-in")
    answer = staff.post("/forms", data=table_form(staff, **{f"title_vi-{n}": "Đơn chuyển đến (mẫu mới)",
                                                            f"description_id-{n}": ""}))
    assert answer.status_code == 302
    rows = by_code(db)
    assert dict(rows["move-in"].titles)["vi"] == "Đơn chuyển đến (mẫu mới)"
    assert "id" not in dict(rows["move-in"].descriptions)  # emptied: the kiosk shows English there
    assert dict(rows["move-in"].titles)["th"] == dict(SHIPPED.by_code("move-in").titles)["th"]  # untouched, kept
    assert rows["move-out"].titles == SHIPPED.by_code("move-out").titles
    layer, problems = parse_file(forms_list.kiosk_catalogue(db), "office list")
    assert problems == []
    sent = {form.code: form for form, _ in layer.forms}
    assert sent["move-in"].title_in("vi") == "Đơn chuyển đến (mẫu mới)"
    assert sent["move-in"].description_in("id") == SHIPPED.by_code("move-in").description_en


def test_a_translation_too_long_is_refused_naming_the_row_and_the_language(app, db):
    staff = clerk(app)
    before = forms_list.rows(db)
    answer = staff.post("/forms", data=table_form(staff, **{"title_th-1": "ก" * 81}))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "第 2 列的泰文名稱：最多 80 字" in html
    assert forms_list.rows(db) == before


def test_an_imported_file_keeps_its_translations(db):
    forms_list.ensure_seeded(db)
    text = ('[[categories]]\ncode = "pets"\ntitle = "寵物"\ntitle_en = "Pets"\ntitle_id = "Hewan peliharaan"\n\n'
            '[[forms]]\ncode = "pet"\ncategory = "pets"\ntitle = "寵物登記"\ntitle_en = "Pet registration"\n'
            'title_vi = "Đăng ký thú cưng"\nurl = "https://office.example/pet.pdf"\n')
    assert forms_list.import_catalogue(db, text) == []
    assert dict(by_code(db)["pet"].titles) == {"vi": "Đăng ký thú cưng"}
    assert {c.code: c for c in forms_list.categories(db)}["pets"].titles == (("id", "Hewan peliharaan"),)
    assert 'title_id = "Hewan peliharaan"' in forms_list.kiosk_catalogue(db)


def test_a_database_from_before_the_translations_opens_and_gets_the_shipped_ones(tmp_path):
    url = f"sqlite:///{tmp_path / 'office.db'}"
    with Database(url) as old:
        forms_list.ensure_seeded(old)
        renamed = [replace(row, title="遷入登記申請書（本所版）") if row.code == "move-in" else row
                   for row in forms_list.rows(old)]
        assert forms_list.save(old, renamed) == []

        def downgrade(conn):  # as schema version 4 left it: no translations columns, no record of them
            conn.exec_driver_sql("ALTER TABLE forms DROP COLUMN translations")
            conn.exec_driver_sql("ALTER TABLE form_categories DROP COLUMN translations")
            conn.execute(META.delete().where(META.c.key == forms_list.TRANSLATED_KEY))
            conn.execute(META.update().where(META.c.key == "schema_version").values(value="4"))
        old.write(downgrade)
    with Database(url) as db:
        version = db.read(lambda c: c.execute(select(META.c.value).where(META.c.key == "schema_version")).scalar())
        assert version == str(SCHEMA_VERSION) == "5"
        assert by_code(db)["move-out"].titles == ()  # the column is there, still empty until the server starts
        create_app(db, clock=lambda: NOW)             # the server starts: the shipped texts, once
        rows = by_code(db)
        assert rows["move-out"].titles == SHIPPED.by_code("move-out").titles
        assert rows["move-in"].titles == ()  # its title is the office's own now: not the shipped form's texts
        assert forms_list.categories(db)[0].titles == SHIPPED.categories[0].titles
        # and never again: a clerk who empties them keeps them empty
        assert forms_list.save(db, [replace(r, titles=(), descriptions=()) if r.code == "move-out" else r for r in rows.values()]) == []
        create_app(db, clock=lambda: NOW)
        assert by_code(db)["move-out"].titles == ()
        assert db.read(lambda c: c.execute(select(FORMS.c.translations).where(FORMS.c.code == "move-out")).scalar()) \
            is None

"""The forms catalogue: the shipped file, overrides, checks, the last good catalogue, QR codes, events."""

import textwrap

import pytest
import qrcode

from kiosk import forms
from protocol.forms_format import MAX_QR_VERSION, SHIPPED as SHIPPED_FILE, check_catalogue, load_catalogue
from kiosk.forms import FormCatalogueCache, qr_image, qr_matrix
from kiosk.store import Store

CATEGORY_CODES = ["household", "marriage", "birth", "id", "certificates", "seal", "proxy", "new-residents"]

HOUSEHOLD = """
[[categories]]
code = "household"
title = "戶籍登記"
title_en = "Household registration"
"""


def form(code="move-in", url="https://www.ris.gov.tw/", category="household", title="遷入登記申請書", extra=""):
    """One [[forms]] entry as TOML; ``title=None`` leaves the title out."""
    title_line = "" if title is None else f'title = "{title}"\n'
    return (f'\n[[forms]]\ncode = "{code}"\ncategory = "{category}"\n{title_line}'
            f'title_en = "A form"\nurl = "{url}"\n{extra}')


def write(tmp_path, text, name="forms.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def qr_version_drawn(url):
    """The version qrcode draws for ``url`` at error correction M, computed here without kiosk.forms."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(url)
    qr.make(fit=True)
    return qr.version


SHIPPED, SHIPPED_PROBLEMS = load_catalogue()


# -- the shipped catalogue -----------------------------------------------------------------------

def test_shipped_catalogue_loads_with_no_problem():
    assert SHIPPED_PROBLEMS == []
    assert check_catalogue(SHIPPED_FILE) == []


def test_shipped_catalogue_covers_every_category_in_order():
    assert [c.code for c in SHIPPED.categories] == CATEGORY_CODES
    assert len(SHIPPED.forms) >= 30
    assert {f.category for f in SHIPPED.forms} == set(CATEGORY_CODES)
    assert all(SHIPPED.in_category(code) for code in CATEGORY_CODES)


def test_shipped_codes_are_unique_and_urls_https():
    codes = [f.code for f in SHIPPED.forms]
    assert len(codes) == len(set(codes))
    assert all(f.url.startswith("https://") for f in SHIPPED.forms)
    assert all(f.title and f.title_en and f.description and f.description_en for f in SHIPPED.forms)


def test_shipped_known_pdfs_are_direct_links():
    move_in = SHIPPED.by_code("move-in")
    assert move_in.url == "https://www.ris.gov.tw/documents/data/2/bb6e1dca-67f4-4378-bc5e-29694e921ce1.pdf"
    assert not move_in.url_is_page and move_in.title == "遷入登記申請書"
    assert not SHIPPED.by_code("house-number-certificate").url_is_page
    assert all(f.url_is_page == (not f.url.endswith(".pdf")) for f in SHIPPED.forms)


@pytest.mark.parametrize("form", SHIPPED.forms, ids=lambda f: f.code)
def test_every_shipped_qr_reads_back_as_its_url(form):
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    assert [s.data.decode() for s in pyzbar.decode(qr_image(form.url, 400))] == [form.url]


# -- lookups -------------------------------------------------------------------------------------

def test_unknown_code_suggests_close_ones():
    with pytest.raises(KeyError, match=r"no form 'move-inn'; did you mean 'move-in'"):
        SHIPPED.by_code("move-inn")
    with pytest.raises(KeyError, match="no form 'zzz'"):
        SHIPPED.by_code("zzz")


def test_in_category_keeps_catalogue_order_and_refuses_unknown_category():
    assert [f.code for f in SHIPPED.in_category("marriage")] == [
        "marriage", "marriage-agreement", "divorce", "divorce-agreement"]
    with pytest.raises(KeyError, match="did you mean 'seal'"):
        SHIPPED.in_category("seals")


def test_titles_follow_the_language():
    move_in = SHIPPED.by_code("move-in")
    assert move_in.title_in("zh-TW") == "遷入登記申請書"
    assert move_in.title_in("en") == move_in.title_en
    assert SHIPPED.category("seal").title_in("vi") == "Đăng ký con dấu"  # its own (tests/test_forms_languages.py)


# -- overrides -----------------------------------------------------------------------------------

def test_override_replaces_adds_and_removes(tmp_path):
    override = write(tmp_path, 'remove = ["home-service"]\n'  # a top-level key: before any [[table]]
                     + form("move-in", url="https://office.example/move-in.pdf")
                     + form("pet-licence", title="寵物登記"))
    catalogue, problems = load_catalogue(override=override)
    assert problems == []
    assert catalogue.forms[0].code == "move-in"  # replaced in place
    assert catalogue.forms[0].url == "https://office.example/move-in.pdf"
    assert catalogue.forms[0].description == ""  # replaced whole, not merged
    assert catalogue.forms[-1].code == "pet-licence"
    with pytest.raises(KeyError):
        catalogue.by_code("home-service")
    assert len(catalogue.forms) == len(SHIPPED.forms)


def test_override_may_add_a_category(tmp_path):
    override = write(tmp_path, """
        [[categories]]
        code = "other"
        title = "其他"
        title_en = "Other"
        """ + form("pet-licence", category="other"))
    catalogue, problems = load_catalogue(override=override)
    assert problems == []
    assert catalogue.categories[-1].code == "other"
    assert [f.code for f in catalogue.in_category("other")] == ["pet-licence"]


def test_override_removing_an_unknown_form_is_reported(tmp_path):
    override = write(tmp_path, 'remove = ["home-servce"]\n')
    catalogue, problems = load_catalogue(override=override)
    assert [(p.line, p.key) for p in problems] == [(1, "remove")]
    assert "'home-servce'" in problems[0].message and "'home-service'" in problems[0].message
    assert catalogue == SHIPPED


def test_broken_override_keeps_the_shipped_forms(tmp_path):
    override = write(tmp_path, form("move-in", url="http://office.example/x.pdf") + form("new-one") + "oops =\n")
    catalogue, problems = load_catalogue(override=override)
    assert [p.key for p in problems] == ["(syntax)"]
    assert catalogue == SHIPPED


def test_bad_override_entry_leaves_the_shipped_entry(tmp_path):
    override = write(tmp_path, form("move-in", url="http://office.example/x.pdf"))
    catalogue, problems = load_catalogue(override=override)
    assert [p.key for p in problems] == ["forms.move-in.url"]
    assert catalogue.by_code("move-in") == SHIPPED.by_code("move-in")


# -- checking a file -----------------------------------------------------------------------------

LONG_URL = "https://www.ris.gov.tw/documents/" + "x" * 567  # 600 characters


@pytest.mark.parametrize("text, key, words, line", [
    (HOUSEHOLD + form() + form(), "forms.move-in.code", ["already used", "line 7"], 15),
    (HOUSEHOLD + form(title=None), "forms.move-in.title", ["is required"], 7),
    (HOUSEHOLD + form(url="http://www.ris.gov.tw/"), "forms.move-in.url", ["https://", "'http://www.ris.gov.tw/'"], 12),
    (HOUSEHOLD + form("long-one", url=LONG_URL), "forms.long-one.url",
     ["600 characters", f"version {qr_version_drawn(LONG_URL)}", f"limit is version {MAX_QR_VERSION}"], 12),
    (HOUSEHOLD + form(category="weddings"), "forms.move-in.category", ["unknown category 'weddings'", "household"], 9),
    (HOUSEHOLD + form(extra='colour = "red"\n'), "forms.move-in.colour", ["unknown key"], 13),
    (HOUSEHOLD + form(extra="bilingual = \"yes\"\n"), "forms.move-in.bilingual", ["true or false"], 13),
    (HOUSEHOLD + form("Move In"), "forms[0].code", ["lowercase", "'Move In'"], 8),
    (HOUSEHOLD + "\n[[categories]]\ncode = \"household\"\ntitle = \"x\"\ntitle_en = \"x\"\n" + form(),
     "categories.household.code", ["already used"], 8),
    (HOUSEHOLD + "\n[forms]\n", "forms", ["[[forms]] tables"], 7),
])
def test_each_problem_names_the_entry_and_line(tmp_path, text, key, words, line):
    problems = check_catalogue(write(tmp_path, text))
    assert [(p.key, p.line) for p in problems] == [(key, line)]
    assert all(word in problems[0].message for word in words), problems[0].message
    assert str(problems[0]).startswith(f"{tmp_path / 'forms.toml'}:{line}: {key}: ")


def test_syntax_error_gives_its_line(tmp_path):
    problems = check_catalogue(write(tmp_path, HOUSEHOLD + form() + "url = 'again'\n"))
    assert [(p.key, p.line) for p in problems] == [("(syntax)", 13)]
    assert problems[0].message.startswith("not valid TOML")


def test_unreadable_and_non_utf8_files(tmp_path):
    assert [p.key for p in check_catalogue(tmp_path / "missing.toml")] == ["(file)"]
    big5 = tmp_path / "big5.toml"
    big5.write_bytes(HOUSEHOLD.encode("big5"))
    problems = check_catalogue(big5)
    assert problems[0].key == "(file)" and "UTF-8" in problems[0].message


def test_a_catalogue_without_forms_is_a_problem(tmp_path):
    assert [p.key for p in check_catalogue(write(tmp_path, HOUSEHOLD))] == ["forms"]


def test_url_at_the_qr_limit_passes_and_one_byte_more_fails(tmp_path):
    base = "https://www.ris.gov.tw/documents/"
    low, high = 0, 400  # the longest run of 'a's that still draws at MAX_QR_VERSION
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if qr_version_drawn(base + "a" * middle) <= MAX_QR_VERSION else (low, middle - 1)
    at_limit = base + "a" * low
    assert qr_version_drawn(at_limit) == MAX_QR_VERSION
    assert check_catalogue(write(tmp_path, HOUSEHOLD + form(url=at_limit))) == []
    problems = check_catalogue(write(tmp_path, HOUSEHOLD + form(url=at_limit + "a")))
    assert [p.key for p in problems] == ["forms.move-in.url"]
    assert f"version {MAX_QR_VERSION + 1}" in problems[0].message


# -- the last good catalogue ---------------------------------------------------------------------

def test_cache_starts_with_the_shipped_catalogue(tmp_path):
    cache = FormCatalogueCache(tmp_path)
    assert cache.current() == SHIPPED
    assert cache.source is None and cache.problems == []


def test_cache_keeps_the_last_good_catalogue(tmp_path):
    cache = FormCatalogueCache(tmp_path)
    good = form("move-in", url="https://office.example/move-in.pdf")
    assert cache.update(good, "office server") == []
    assert cache.current().by_code("move-in").url == "https://office.example/move-in.pdf"

    problems = cache.update(form("move-in", url="http://office.example/other.pdf"), "office server")
    assert [(p.file, p.key) for p in problems] == [("office server", "forms.move-in.url")]
    assert cache.problems == problems
    assert cache.current().by_code("move-in").url == "https://office.example/move-in.pdf"
    assert cache.update("[[forms]\n", "office server")[0].key == "(syntax)"
    assert cache.update(b"\xff\xfe", "office server")[0].key == "(file)"
    assert cache.current().by_code("move-in").url == "https://office.example/move-in.pdf"

    again = FormCatalogueCache(tmp_path)  # after a restart
    assert again.current() == cache.current()
    assert again.source == "office server" and again.kept_at and again.problems == []


def test_cache_refuses_an_override_that_removes_everything(tmp_path):
    cache = FormCatalogueCache(tmp_path)
    everything = "remove = [" + ", ".join(f'"{f.code}"' for f in SHIPPED.forms) + "]\n"
    assert [p.key for p in cache.update(everything, "forms.toml")] == ["forms"]
    assert cache.current() == SHIPPED


def test_cache_falls_back_to_shipped_when_the_kept_file_is_damaged(tmp_path):
    FormCatalogueCache(tmp_path).update(form("move-in", url="https://office.example/m.pdf"), "local file")
    (tmp_path / FormCatalogueCache.FILE).write_bytes(b"[[forms]]\ncode = \"move-in\"\nurl = ")  # cut by a power loss
    cache = FormCatalogueCache(tmp_path)
    assert cache.current() == SHIPPED
    assert cache.problems[0].key == "(syntax)"


# -- QR codes ------------------------------------------------------------------------------------

def test_qr_matrix_has_the_quiet_zone_and_is_a_copy():
    url = "https://www.ris.gov.tw/"
    matrix = qr_matrix(url)
    side = len(matrix)
    assert side == 17 + 4 * qr_version_drawn(url) + 8 and all(len(row) == side for row in matrix)
    assert not any(matrix[0] + matrix[3] + [row[0] for row in matrix] + matrix[-1])
    assert matrix[4][4]  # the corner of a finder pattern
    matrix[4][4] = False
    assert qr_matrix(url)[4][4]


def test_qr_image_is_crisp_and_keeps_its_quiet_zone():
    url = SHIPPED.by_code("move-in").url
    side = len(qr_matrix(url))
    image = qr_image(url, 400)
    assert image.size == (400, 400) and image.mode == "L"
    assert {v for v, n in enumerate(image.histogram()) if n} == {0, 255}  # pure black and white, no grey
    module, margin = 400 // side, (400 - 400 // side * side) // 2
    first_dark = margin + 4 * module  # quiet zone: 4 white modules
    assert image.getpixel((first_dark - 1, first_dark)) == 255
    assert image.getpixel((first_dark, first_dark)) == 0
    with pytest.raises(ValueError, match="at least"):
        qr_image(url, side - 1)


def test_warm_qr_cache_builds_every_code():
    forms.warm_qr_cache(SHIPPED)
    hits = forms._matrix.cache_info().hits
    qr_matrix(SHIPPED.forms[-1].url)
    assert forms._matrix.cache_info().hits == hits + 1


# -- events --------------------------------------------------------------------------------------

@pytest.fixture
def store(tmp_path):
    with Store.open(tmp_path) as store:
        yield store


def test_record_view_and_slip_store_events(store):
    move_in = SHIPPED.by_code("move-in")
    view = forms.record_view(store, move_in, "en")
    slip = forms.record_slip(store, move_in, "zh-TW")
    assert [(e.type, e.data) for e in store.events()] == [
        ("form_view", {"code": "move-in", "title": "遷入登記申請書", "category": "household", "lang": "en"}),
        ("form_slip", {"code": "move-in", "title": "遷入登記申請書", "category": "household", "lang": "zh-TW"})]
    assert view.seq and slip.seq > view.seq


def test_popular_orders_by_views_then_catalogue_order(store):
    for code, views in (("seal-certificate", 2), ("transcript", 3), ("birth", 2)):
        for _ in range(views):
            forms.record_view(store, SHIPPED.by_code(code), "zh-TW")
    for _ in range(5):  # slips are not views
        forms.record_slip(store, SHIPPED.by_code("death"), "zh-TW")
    assert [f.code for f in forms.popular(SHIPPED, store, 4)] == ["transcript", "birth", "seal-certificate", "move-in"]
    assert len(forms.popular(SHIPPED, store, 100)) == len(SHIPPED.forms)


# -- the office's list and the short address (issue 16) ------------------------------------------

def test_a_complete_catalogue_replaces_the_shipped_one(tmp_path):
    cache = FormCatalogueCache(tmp_path)
    office_list = "complete = true\n" + HOUSEHOLD + form("move-in") + form("proxy-erlin", title="二林戶所委託書")
    assert cache.update(office_list, "office server") == []
    shown = cache.current()
    assert [c.code for c in shown.categories] == ["household"]  # the office's categories, not the shipped eight
    assert [f.code for f in shown.forms] == ["move-in", "proxy-erlin"]


def test_the_qr_opens_the_office_servers_short_address_for_the_forms_it_knows(tmp_path):
    public = "https://erlin.example/queue/"
    move_in = SHIPPED.by_code("move-in")
    assert move_in.address(public) == "https://erlin.example/queue/f/move-in"
    assert move_in.address("https://erlin.example") == "https://erlin.example/f/move-in"
    assert move_in.address("") == move_in.url  # no public address: the ministry's own
    # A form the kiosk's own override adds, the office server does not know: its own address, always.
    catalogue, problems = load_catalogue(override=write(tmp_path, form("local-only", url="https://hr.example/x.pdf")))
    assert problems == []
    assert catalogue.by_code("local-only").address(public) == "https://hr.example/x.pdf"
    assert catalogue.by_code("move-out").address(public) == "https://erlin.example/queue/f/move-out"


def test_a_file_only_the_office_keeps_is_offered_only_where_a_phone_can_reach_the_office(tmp_path):
    office_list = "complete = true\n" + HOUSEHOLD + form("move-in") + \
        '\n[[forms]]\ncode = "proxy-erlin"\ncategory = "household"\ntitle = "委託書"\ntitle_en = "Proxy"\n' \
        'office_file = true\n'
    catalogue, problems = load_catalogue(override=write(tmp_path, office_list))
    assert problems == []
    assert [f.code for f in catalogue.offered("").forms] == ["move-in"]
    assert [f.code for f in catalogue.offered("https://erlin.example/").forms] == ["move-in", "proxy-erlin"]
    # Without office_file, a form with no address is still an error, as before.
    problems = check_catalogue(write(tmp_path, HOUSEHOLD + form("x").replace('url = "https://www.ris.gov.tw/"\n', "")))
    assert [p.key for p in problems] == ["forms.x.url"]

"""
The office's forms list
=======================

The office keeps one list of the blank forms (書表) its kiosks offer: for each
form its code, category, titles, descriptions, and either the address of its
file (a ministry PDF) or a file the staff uploaded (PDF, ODT, DOC, DOCX).  The
staff edit it as a table on ``/forms`` (``office/forms_pages.py``);
``kiosk-office forms`` lists, checks and imports it.

* Every kiosk receives it through ``GET /api/v1/kiosks/{id}/config`` as the
  ``forms`` member: a catalogue in the format of ``protocol/data/forms.toml``
  with ``complete = true`` (:func:`kiosk_catalogue`), so the kiosks show this
  list and nothing else.
* ``GET /f/<code>`` redirects to the form's current address, or to the
  uploaded file (:func:`target`).  A kiosk with ``server.public_url`` puts
  ``<public_url>f/<code>`` in its QR codes: the QR stays short and the same,
  and an address fixed here is fixed on every kiosk at once.
* The list starts as the catalogue shipped with the kiosk software
  (:func:`ensure_seeded`, once, the first time the database is opened by the
  server); from then on it is the office's.
* Titles and descriptions in Vietnamese, Indonesian, Thai and Filipino
  (``title_vi``… ``description_fil`` in the catalogue, ``protocol/languages.py``)
  are kept in one JSON column per table (``translations``) and sent on to the
  kiosks; a list seeded before they existed gets the shipped ones once, for the
  forms whose Chinese title is still the shipped one (:func:`ensure_seeded`).

Problems are :class:`RowProblem`, in Chinese, naming the row and the field, for
the clerk who typed them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

from sqlalchemy import delete, insert, select, update

from protocol import officetime
from protocol.languages import OTHER_LANGUAGES, Texts

from .db import Database
from .schema import ALL_KIOSKS, FORM_CATEGORIES, FORMS, META, OFFICE_CONFIG

__all__ = ["Category", "FormRow", "RowProblem", "UploadedFile", "ensure_seeded", "categories", "rows", "check",
           "save", "attach_file", "uploaded_file", "target", "kiosk_catalogue", "forms_for", "import_catalogue",
           "FILE_TYPES",
           "MAX_FILE_BYTES"]

CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
#: An address a phone reads from a QR code on the screen: the kiosk refuses codes denser than version 10
#: (about 210 characters); 200 leaves a margin and is easy to say.
MAX_URL = 200
MAX_TITLE = 80
MAX_DESCRIPTION = 200
#: A scanned form is a few hundred KB; 10 MB is far above any form and far below trouble for SQLite.
MAX_FILE_BYTES = 10 * 1024 * 1024
#: What the staff may upload: extension -> (MIME type served, how the file starts).
FILE_TYPES: Dict[str, Tuple[str, Tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
}
SEEDED_KEY = "forms_seeded"
TRANSLATED_KEY = "forms_translated"  # the shipped vi/id/th/fil texts were given to a list seeded without them
#: The other languages as the staff page names them.
LANGUAGE_NAMES = {"vi": "越南文", "id": "印尼文", "th": "泰文", "fil": "菲律賓文"}
FIELD_NAMES = {"code": "代碼", "category": "類別", "title": "中文名稱", "title_en": "英文名稱",
               "description": "說明", "description_en": "英文說明", "url": "網址", "opens": "開啟後", "file": "檔案",
               **{f"title_{lang}": f"{name}名稱" for lang, name in LANGUAGE_NAMES.items()},
               **{f"description_{lang}": f"{name}說明" for lang, name in LANGUAGE_NAMES.items()}}


@dataclass(frozen=True)
class Category:
    code: str
    title: str
    title_en: str
    titles: Texts = ()  # vi, id, th, fil: (("vi", "..."), ...)


@dataclass(frozen=True)
class FormRow:
    """One form of the list, as the staff table shows it."""

    code: str
    category: str
    title: str
    title_en: str
    description: str = ""
    description_en: str = ""
    url: str = ""
    opens: str = "file"          # what the address gives a phone: "file" or "page" (a page listing forms)
    bilingual: bool = False
    file_name: Optional[str] = None  # an uploaded file, served at /f/<code>/<file_name>
    check_result: Optional[str] = None  # the last link check: "file", "page" or "failed"; None: never checked
    check_detail: str = ""
    checked_at: Optional[str] = None
    titles: Texts = ()        # vi, id, th, fil: (("vi", "Đơn đăng ký chuyển đến"), ...)
    descriptions: Texts = ()

    @property
    def has_file(self) -> bool:
        return self.file_name is not None

    def text(self, name: str, lang: str) -> str:
        """``title`` or ``description`` in one of OTHER_LANGUAGES; "" when it has none (the staff page)."""
        return dict(self.titles if name == "title" else self.descriptions).get(lang, "")


class RowProblem(NamedTuple):
    """One thing wrong in the table: its row (1-based, as the page shows it), the field, what is wrong."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 列的{FIELD_NAMES.get(self.field, self.field)}：{self.message}"


@dataclass(frozen=True)
class UploadedFile:
    name: str
    mime_type: str
    title: str  # the form's Chinese title: the name a phone saves it under
    data: bytes = field(repr=False)


# -- the other languages, as stored ---------------------------------------------------------------

def _to_json(**texts: Texts) -> Optional[str]:
    """The ``translations`` column: ``{"title": {"vi": ...}, "description": {...}}``; None when there is none."""
    kept = {name: dict(pairs) for name, pairs in texts.items() if pairs}
    return json.dumps(kept, ensure_ascii=False, sort_keys=True) if kept else None


def _from_json(value: Optional[str], name: str) -> Texts:
    try:
        found = json.loads(value or "{}").get(name) or {}
    except (ValueError, AttributeError):  # not ours (edited by hand): the row still shows, in zh-TW and en
        return ()
    return tuple((lang, found[lang]) for lang in OTHER_LANGUAGES if isinstance(found.get(lang), str) and found[lang])


def _give_shipped_translations(conn, catalogue) -> None:
    """Once: the shipped texts in vi, id, th, fil for a list seeded before they existed, on the categories and forms
    whose Chinese title is still the shipped one (a title the office changed may mean another form)."""
    if conn.execute(select(META.c.value).where(META.c.key == TRANSLATED_KEY)).scalar() is not None:
        return
    for table, entries in ((FORM_CATEGORIES, catalogue.categories), (FORMS, catalogue.forms)):
        for entry in entries:
            conn.execute(update(table).where(table.c.code == entry.code, table.c.title == entry.title,
                                             table.c.translations.is_(None))
                         .values(translations=_to_json(title=entry.titles,
                                                       description=getattr(entry, "descriptions", ()))))
    conn.execute(insert(META).values(key=TRANSLATED_KEY, value=officetime.rfc3339(officetime.now())))


# -- reading -------------------------------------------------------------------------------------

def ensure_seeded(db: Database) -> None:
    """Fill the list from the kiosk software's shipped catalogue, once, if it was never filled.

    Once seeded (even if the staff later delete every row) it is never filled again: the list is the office's.
    """
    from protocol.forms_format import load_catalogue  # the shipped catalogue is the starting point of the office's list
    catalogue = load_catalogue()[0]
    now = officetime.rfc3339(officetime.now())

    def seed(conn):
        if conn.execute(select(META.c.value).where(META.c.key == SEEDED_KEY)).scalar() is not None:
            _give_shipped_translations(conn, catalogue)
            return
        for n, category in enumerate(catalogue.categories):
            conn.execute(insert(FORM_CATEGORIES).values(code=category.code, position=n, title=category.title,
                                                        title_en=category.title_en,
                                                        translations=_to_json(title=category.titles)))
        for n, form in enumerate(catalogue.forms):
            conn.execute(insert(FORMS).values(
                code=form.code, position=n, category=form.category, title=form.title, title_en=form.title_en,
                description=form.description, description_en=form.description_en, url=form.url,
                opens="page" if form.url_is_page else "file", bilingual=form.bilingual, updated_at=now,
                translations=_to_json(title=form.titles, description=form.descriptions)))
        conn.execute(insert(META).values(key=SEEDED_KEY, value=now))
        conn.execute(insert(META).values(key=TRANSLATED_KEY, value=now))
    db.write(seed)


def categories(db: Database) -> List[Category]:
    query = select(FORM_CATEGORIES).order_by(FORM_CATEGORIES.c.position)
    return [Category(r.code, r.title, r.title_en, _from_json(r.translations, "title"))
            for r in db.read(lambda c: c.execute(query).all())]


_ROW_COLUMNS = [FORMS.c[name] for name in ("code", "category", "title", "title_en", "description", "description_en",
                                           "url", "opens", "bilingual", "file_name", "check_result",
                                           "check_detail", "checked_at", "translations")]


def rows(db: Database) -> List[FormRow]:
    """The list in its order (without the files' bytes)."""
    query = select(*_ROW_COLUMNS).order_by(FORMS.c.position)
    found = []
    for r in db.read(lambda c: c.execute(query).all()):
        values = {**r._mapping, "check_detail": r.check_detail or ""}
        stored = values.pop("translations")
        found.append(FormRow(**values, titles=_from_json(stored, "title"),
                             descriptions=_from_json(stored, "description")))
    return found


def uploaded_file(db: Database, code: str) -> Optional[UploadedFile]:
    query = select(FORMS.c.file_name, FORMS.c.file_type, FORMS.c.title, FORMS.c.file_data).where(FORMS.c.code == code)
    found = db.read(lambda c: c.execute(query).first())
    if found is None or found.file_name is None:
        return None
    return UploadedFile(found.file_name, found.file_type, found.title, found.file_data)


def target(db: Database, code: str) -> Optional[Tuple[str, str]]:
    """Where ``/f/<code>`` sends a phone: ``("file", name)`` for an uploaded file, ``("url", address)``; None: no such form."""
    query = select(FORMS.c.url, FORMS.c.file_name).where(FORMS.c.code == code)
    found = db.read(lambda c: c.execute(query).first())
    if found is None:
        return None
    if found.file_name is not None:
        return "file", found.file_name
    return ("url", found.url) if found.url else None


# -- checking ------------------------------------------------------------------------------------

def _one_line(value: str, limit: int, required: bool) -> Optional[str]:
    if required and not value.strip():
        return "不可空白"
    if "\n" in value or "\r" in value:
        return "只能一行"
    if len(value.strip()) > limit:
        return f"最多 {limit} 字，現在 {len(value.strip())} 字"
    return None


def _url_problem(url: str) -> Optional[str]:
    if not url.startswith("https://"):
        return f"必須是 https:// 開頭的網址（現在是「{url[:40]}」）"
    if re.search(r"\s", url) or not re.fullmatch(r"https://[^\s/?#@]+(?:[/?#]\S*)?", url):
        return "格式不對：網址不可含空白，主機名稱後不可有 @"
    if len(url) > MAX_URL:
        return f"太長（{len(url)} 字元）：手機難以掃描這麼密的 QR 碼，請用 {MAX_URL} 字元以內的網址"
    return None


def check(form_rows: Sequence[FormRow], known_categories: Sequence[str]) -> List[RowProblem]:
    """Every problem of the table, row by row; [] if the kiosks would take it as it is."""
    problems: List[RowProblem] = []
    if not form_rows:
        # The kiosks refuse an empty catalogue (their screen would be blank) and keep the last one.
        return [RowProblem(1, "code", "目錄中至少要有一份表單")]
    seen: Dict[str, int] = {}
    for n, row in enumerate(form_rows, start=1):
        def bad(name, message):
            problems.append(RowProblem(n, name, message))
        if not CODE.fullmatch(row.code):
            bad("code", f"只能用小寫英文字母、數字和 -（例如 move-in），現在是「{row.code}」")
        elif row.code in seen:
            bad("code", f"「{row.code}」與第 {seen[row.code]} 列重複")
        else:
            seen[row.code] = n
        if row.category not in known_categories:
            bad("category", f"沒有「{row.category}」這個類別")
        for name, limit, required in (("title", MAX_TITLE, True), ("title_en", MAX_TITLE, True),
                                      ("description", MAX_DESCRIPTION, False),
                                      ("description_en", MAX_DESCRIPTION, False)):
            message = _one_line(getattr(row, name), limit, required)
            if message:
                bad(name, message)
        for lang in OTHER_LANGUAGES:
            for name, limit in (("title", MAX_TITLE), ("description", MAX_DESCRIPTION)):
                message = _one_line(row.text(name, lang), limit, False)
                if message:
                    bad(f"{name}_{lang}", message)
        if row.url:
            message = _url_problem(row.url)
            if message:
                bad("url", message)
        elif not row.has_file:
            bad("url", "請填表單檔案的網址，或上傳檔案")
        if row.opens not in ("file", "page"):
            bad("opens", "只能是「檔案」或「網頁」")
    return problems


def file_problem(name: str, data: bytes) -> Optional[str]:
    """Why an upload is refused (in Chinese), or None."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in FILE_TYPES:
        return f"「{name}」不是 PDF、ODT、DOC 或 DOCX 檔"
    if not data:
        return f"「{name}」是空檔案"
    if len(data) > MAX_FILE_BYTES:
        return f"「{name}」有 {len(data) / 1024 / 1024:.1f} MB，最大 {MAX_FILE_BYTES // 1024 // 1024} MB"
    if not data.startswith(FILE_TYPES[extension][1]):
        return f"「{name}」的內容不是 {extension.upper()} 檔（副檔名與內容不符）"
    return None


def safe_file_name(name: str, code: str) -> str:
    """A name to serve the file under: the form's code and the upload's extension (no path, no odd characters)."""
    return f"{code}.{name.rsplit('.', 1)[-1].lower()}"


# -- writing -------------------------------------------------------------------------------------

def save(db: Database, form_rows: Sequence[FormRow], files: Optional[Dict[str, Tuple[str, bytes]]] = None,
         remove_files: Sequence[str] = ()) -> List[RowProblem]:
    """Replace the list with ``form_rows`` (in this order) if it checks clean; return the problems ([] if saved).

    ``files`` maps a code to an upload ``(name, bytes)``; ``remove_files`` are codes whose upload is dropped.
    A row keeps its uploaded file and its last link check unless its address changes.
    """
    files = files or {}
    known = [c.code for c in categories(db)]
    old = {row.code: row for row in rows(db)}
    planned = []
    for row in form_rows:
        keep = old.get(row.code)
        file_name = keep.file_name if keep is not None and row.code not in remove_files else None
        if row.code in files:
            file_name = safe_file_name(files[row.code][0], row.code)
        planned.append(replace(row, file_name=file_name))
    problems = check(planned, known)
    for n, row in enumerate(planned, start=1):
        if row.code in files:
            message = file_problem(*files[row.code])
            if message:
                problems.append(RowProblem(n, "file", message))
    if problems:
        return problems
    now = officetime.rfc3339(officetime.now())

    def store(conn):
        conn.execute(delete(FORMS).where(FORMS.c.code.not_in([row.code for row in planned])))
        for n, row in enumerate(planned):
            values = dict(position=n, category=row.category, title=row.title.strip(), title_en=row.title_en.strip(),
                          description=row.description.strip(), description_en=row.description_en.strip(),
                          url=row.url, opens="file" if row.code in files else row.opens,
                          bilingual=row.bilingual, file_name=row.file_name, updated_at=now,
                          translations=_to_json(title=row.titles, description=row.descriptions))
            if row.code in files:
                name, data = files[row.code]
                values.update(file_type=FILE_TYPES[name.rsplit(".", 1)[-1].lower()][0], file_data=data)
            elif row.file_name is None:
                values.update(file_type=None, file_data=None)
            before = old.get(row.code)
            if before is None or before.url != row.url:
                values.update(check_result=None, check_detail=None, checked_at=None)  # a new address: unchecked
            if before is None:
                conn.execute(insert(FORMS).values(code=row.code, **values))
            else:
                conn.execute(update(FORMS).where(FORMS.c.code == row.code).values(**values))
    db.write(store)
    return []


def attach_file(db: Database, code: str, name: str, data: bytes) -> Optional[str]:
    """Upload a file for one form; the reason in Chinese if refused, else None."""
    message = file_problem(name, data)
    if message:
        return message
    extension = name.rsplit(".", 1)[-1].lower()
    changed = db.write(lambda c: c.execute(update(FORMS).where(FORMS.c.code == code).values(
        file_name=safe_file_name(name, code), file_type=FILE_TYPES[extension][0], file_data=data, opens="file",
        updated_at=officetime.rfc3339(officetime.now()))).rowcount)
    return None if changed else f"沒有代碼「{code}」的表單"


def record_check(db: Database, code: str, result: str, detail: str, at: str) -> None:
    """Keep a link check's outcome; a file or a page found also sets what the kiosks say ("opens")."""
    values = dict(check_result=result, check_detail=detail, checked_at=at)
    if result in ("file", "page"):
        values["opens"] = result
    db.write(lambda c: c.execute(update(FORMS).where(FORMS.c.code == code, FORMS.c.file_name.is_(None))
                                 .values(**values)))


# -- to the kiosks ---------------------------------------------------------------------------------

def _toml(value) -> str:
    # JSON strings are TOML basic strings (the same escapes); booleans are spelled the same.
    return json.dumps(value, ensure_ascii=False)


def kiosk_catalogue(db: Database) -> Optional[str]:
    """The list as the kiosks read it: a forms file (protocol/data/forms.toml's format) with ``complete = true``.

    None before the list was ever seeded (the kiosks then keep their shipped catalogue).
    """
    if db.read(lambda c: c.execute(select(META.c.value).where(META.c.key == SEEDED_KEY)).scalar()) is None:
        return None
    form_rows = rows(db)
    used = {row.category for row in form_rows}
    lines = ["# The office's forms list (kiosk-office, /forms); the kiosk shows it instead of its own.",
             "complete = true", ""]
    for category in categories(db):
        if category.code in used:
            lines += ["[[categories]]", f"code = {_toml(category.code)}", f"title = {_toml(category.title)}",
                      f"title_en = {_toml(category.title_en)}",
                      *(f"title_{lang} = {_toml(text)}" for lang, text in category.titles), ""]
    for row in form_rows:
        lines += ["[[forms]]", f"code = {_toml(row.code)}", f"category = {_toml(row.category)}",
                  f"title = {_toml(row.title)}", f"title_en = {_toml(row.title_en)}"]
        lines += [f"title_{lang} = {_toml(text)}" for lang, text in row.titles]
        for name in ("description", "description_en"):
            if getattr(row, name):
                lines.append(f"{name} = {_toml(getattr(row, name))}")
        lines += [f"description_{lang} = {_toml(text)}" for lang, text in row.descriptions]
        if row.url:
            lines.append(f"url = {_toml(row.url)}")
        if row.has_file:
            lines.append("office_file = true")
        lines += [f"url_is_page = {_toml(row.opens == 'page' and not row.has_file)}",
                  f"bilingual = {_toml(row.bilingual)}", ""]
    return "\n".join(lines)


def forms_for(db: Database, kiosk_id: str) -> Optional[str]:
    """The ``forms`` member of a kiosk's config answer: its own override if one was set for it
    (``kiosk-office config set --kiosk ID --forms FILE``, over its shipped catalogue), else the office's list."""
    query = select(OFFICE_CONFIG.c.forms).where(OFFICE_CONFIG.c.scope == kiosk_id, OFFICE_CONFIG.c.scope != ALL_KIOSKS)
    own = db.read(lambda c: c.execute(query).scalar())
    return own if own is not None else kiosk_catalogue(db)


def import_catalogue(db: Database, text: str) -> List[str]:
    """Apply a forms file (the format of protocol/data/forms.toml) to the list, as a kiosk applies an override.

    Forms with a known code are replaced (their uploaded file kept), new ones are added at the end,
    ``remove`` drops forms, new categories are added; ``complete = true`` replaces the whole list.
    Returns the problems (the kiosk's own check, then the table's); [] if imported.
    """
    from protocol.forms_format import FormProblem, parse_file  # the kiosks' own reading of the format
    layer, problems = parse_file(text, "imported file")
    if problems:
        return [str(p) for p in problems]
    current = [] if layer.complete else rows(db)
    by_code = {row.code: row for row in current}
    for code in layer.remove:
        if code not in by_code:
            return [str(FormProblem("imported file", layer.remove_line, "remove", f"no form {code!r} in the list"))]
        del by_code[code]
    for form, _line in layer.forms:
        by_code[form.code] = FormRow(form.code, form.category, form.title, form.title_en, form.description,
                                     form.description_en, form.url, "page" if form.url_is_page else "file",
                                     form.bilingual, titles=form.titles, descriptions=form.descriptions)
    known = {c.code: c for c in ([] if layer.complete else categories(db))}
    known.update((c.code, Category(c.code, c.title, c.title_en, c.titles)) for c in layer.categories)

    def store_categories(conn):
        conn.execute(delete(FORM_CATEGORIES))
        for n, category in enumerate(known.values()):
            conn.execute(insert(FORM_CATEGORIES).values(code=category.code, position=n, title=category.title,
                                                        title_en=category.title_en,
                                                        translations=_to_json(title=category.titles)))
    problems = check(list(by_code.values()), list(known))
    if problems:
        return [str(p) for p in problems]
    db.write(store_categories)
    return [str(p) for p in save(db, list(by_code.values()))]

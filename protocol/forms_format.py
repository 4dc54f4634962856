"""
The forms catalogue's format
============================

書表下載: the kiosk lists the office's blank forms (書表) by category; a
resident picks one and scans its QR code to get the form on their phone, or
prints a slip with the code.  This module reads and checks the catalogue's
files, for the kiosk (``kiosk/forms.py``) and the office server's forms list
(``office/forms_list.py``) alike; it draws nothing.

The catalogue is TOML.  ``protocol/data/forms.toml`` ships with the software; an
office changes it with an override file in the same format, read after it::

    [[categories]]                    # a code already known replaces that category
    code = "household"
    title = "戶籍登記"
    title_en = "Household registration"
    title_vi = "Đăng ký hộ tịch"      # optional: title_vi, title_id, title_th, title_fil

    [[forms]]                         # a code already known replaces that form, whole
    code = "move-in"                  # lowercase letters, digits and '-'; never renamed
    category = "household"
    title = "遷入登記申請書"
    title_en = "Application for Move-in Registration"
    description = "搬進本轄區居住..."   # optional, one line: when you need it
    description_en = "When you move..."
    title_vi = "Đơn đăng ký chuyển đến"   # optional, in vi, id, th, fil: title_<lang>, description_<lang>;
    description_vi = "Khi chuyển đến..."  # a language without its own text shows the English one
    url = "https://www.ris.gov.tw/documents/data/2/<uuid>.pdf"
    url_is_page = false               # optional: true if url is a page listing forms
    bilingual = true                  # optional: a Chinese/English version exists
    office_file = false               # optional: the office server keeps the file (url may then be left out)

    remove = ["home-service"]         # forms of earlier files to leave out
    complete = false                  # true: this file is the whole catalogue, earlier ones are dropped

The office server's forms list (``office/forms_list.py``) reaches the kiosk
as such a file with ``complete = true``.  The office answers
``<server.public_url>f/<code>`` for every form of its list (a redirect to the
form's address, or the file its staff uploaded), and its list starts as the
shipped one; so for the forms of the shipped file and of a complete file, a
kiosk with ``server.public_url`` puts that short, stable address in the QR
(:meth:`Form.address`), and the office fixes an address once for every kiosk.
A form added or replaced by a partial override (the kiosk's own ``[forms]
file``) keeps its own ``url``.  A form with ``office_file`` and no ``url``
exists only on the office server: a kiosk without ``server.public_url`` leaves
it out (:meth:`FormCatalogue.offered`).

The texts in the other languages the kiosk speaks (``protocol/languages.py``)
are optional keys ``title_vi``, ``title_id``, ``title_th``, ``title_fil``
and ``description_<lang>`` likewise; ``title_in(lang)`` and
``description_in(lang)`` give the language's own text, Chinese for zh-TW,
and English for a language without one.  A key for a language the kiosk does
not speak (``title_ja``) is a problem that names the languages allowed.  Thai:
a U+200B between words where a line may break (the screen breaks Thai lines
only there).

Every problem is a :class:`FormProblem` ``(file, line, key, message)``, its
key naming the entry (``forms.move-in.url``, or ``forms[3].code`` when the
code itself is wrong).  A bad entry is left out and the rest still load;
the kiosk's ``FormCatalogueCache`` goes further and only ever adopts an override that
checks clean, so the screen never shows a blank or half-broken catalogue.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 only
    import tomli as tomllib

from .languages import Texts, pick, translation_keys, translation_problems, translations, unknown_language
from .toml_lines import key_lines
from .urls import under

__all__ = ["Category", "Form", "FormCatalogue", "FormProblem", "load_catalogue", "check_catalogue", "parse_file",
           "load_sources", "read_file", "decode_file", "qr_version", "SHIPPED", "MAX_QR_VERSION"]

SHIPPED = Path(__file__).parent / "data" / "forms.toml"

#: The densest QR code the forms screen may show.  The code is drawn about 8 cm
#: wide and read by a phone held 30-40 cm from the screen: version 10 is 57x57
#: modules (65 with the quiet zone), about 1.2 mm a module, which phones still
#: read at once; denser codes need the phone held closer and fail on older
#: phones.  At error correction M version 10 holds a URL of about 210
#: characters; a ministry PDF address (88) is version 5, a 100-character URL 6.
MAX_QR_VERSION = 10

CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
HTTPS_URL = re.compile(r"https://[^\s/?#@]+(?:[/?#]\S*)?")
TOP_KEYS = ("categories", "forms", "remove", "complete")
CATEGORY_KEYS = ("code", "title", "title_en", *translation_keys("title"))
FORM_KEYS = ("code", "category", "title", "title_en", "description", "description_en", *translation_keys("title"),
             *translation_keys("description"), "url", "url_is_page", "bilingual", "office_file")


@dataclass(frozen=True)
class Category:
    """A heading of the forms screen (戶籍登記, 印鑑...)."""

    code: str
    title: str
    title_en: str
    titles: Texts = ()  # in vi, id, th, fil: (("vi", "Đăng ký hộ tịch"), ...)

    def title_in(self, lang: str) -> str:
        """The heading a reader of ``lang`` sees: its own, Chinese for zh-TW, else English."""
        return pick(lang, self.title, self.title_en, self.titles)


@dataclass(frozen=True)
class Form:
    """One blank form and where a phone downloads it."""

    code: str
    category: str
    title: str
    title_en: str
    description: str
    description_en: str
    url: str
    bilingual: bool
    url_is_page: bool = False  # the url lists forms; the screen says "download it from the forms page"
    office_file: bool = False  # the office server keeps the file; url may be ""
    via_office: bool = False   # from the shipped file or the office's list: the office answers f/<code>
    titles: Texts = ()         # in vi, id, th, fil: (("vi", "Đơn đăng ký chuyển đến"), ...)
    descriptions: Texts = ()

    def address(self, public_url: str = "") -> str:
        """What the QR code opens: ``<public_url>f/<code>`` for a form the office server knows, else ``url``.

        "" when there is no address a phone can open (a file only the office server keeps, and no public URL).
        """
        if public_url and self.via_office:
            return under(public_url, f"f/{self.code}")
        return self.url

    def title_in(self, lang: str) -> str:
        """The title a reader of ``lang`` sees: its own, Chinese for zh-TW, else English."""
        return pick(lang, self.title, self.title_en, self.titles)

    def description_in(self, lang: str) -> str:
        """Likewise for the description ("" when the form has none in Chinese: it says nothing in any language)."""
        if not self.description:
            return ""
        return pick(lang, self.description, self.description_en, self.descriptions)


class FormProblem(NamedTuple):
    """One thing wrong with a forms file: where it is, which entry, what is wrong."""

    file: str
    line: Optional[int]
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.key}: {self.message}"


def _suggest(code: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
    return f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""


@dataclass(frozen=True)
class FormCatalogue:
    """The categories and forms the screen shows, in the order it shows them."""

    categories: Tuple[Category, ...]
    forms: Tuple[Form, ...]

    def by_code(self, code: str) -> Form:
        """The form with this code; KeyError naming it and the closest known codes."""
        for form in self.forms:
            if form.code == code:
                return form
        raise KeyError(f"no form {code!r}{_suggest(code, [f.code for f in self.forms])}")

    def category(self, code: str) -> Category:
        for category in self.categories:
            if category.code == code:
                return category
        raise KeyError(f"no category {code!r}{_suggest(code, [c.code for c in self.categories])}")

    def in_category(self, code: str) -> List[Form]:
        """The forms of a category, in catalogue order (a category may have none: hide it)."""
        self.category(code)  # KeyError for an unknown category
        return [form for form in self.forms if form.category == code]

    def offered(self, public_url: str = "") -> "FormCatalogue":
        """The catalogue without the forms a phone could not open from this kiosk (see :meth:`Form.address`)."""
        kept = tuple(form for form in self.forms if form.address(public_url))
        return self if len(kept) == len(self.forms) else FormCatalogue(self.categories, kept)


# -- reading and checking ----------------------------------------------------------------------

@dataclass
class _Layer:
    """One file's good entries; each form with the line of its category (checked when merged)."""

    file: str
    complete: bool = False  # the whole catalogue: earlier layers are dropped
    categories: List[Category] = field(default_factory=list)
    forms: List[Tuple[Form, Optional[int]]] = field(default_factory=list)
    remove: List[str] = field(default_factory=list)
    remove_line: Optional[int] = None


def _text(value: Any, required: bool, what: str) -> Optional[str]:
    if value is None:
        return f"is required: {what}" if required else None
    if not isinstance(value, str):
        return f"must be a string, got {value!r}"
    if required and not value.strip():
        return f"must not be empty: {what}"
    if "\n" in value:
        return "must be one line"


def _url_problem(url: Any, office_file: bool = False) -> Optional[str]:
    if office_file and url in (None, ""):
        return None  # only the office server has it
    message = _text(url, True, "the https address of the form (or of the forms page)")
    if message:
        return message
    if not HTTPS_URL.fullmatch(url):
        return f"must be an https:// address without spaces, got {url!r}"
    try:
        version = qr_version(url)
    except ValueError as exc:
        return str(exc)
    if version > MAX_QR_VERSION:
        return (f"is {len(url)} characters: its QR code would be version {version} ({_side(version)}x"
                f"{_side(version)} modules), too dense for a phone to read from the screen; the limit is "
                f"version {MAX_QR_VERSION} ({_side(MAX_QR_VERSION)}x{_side(MAX_QR_VERSION)}). "
                "Hint: use a shorter address, or the forms page with url_is_page = true")


def _category_problems(entry: Dict[str, Any]) -> List[Tuple[str, str]]:
    found = [(key, _text(entry.get(key), True, what)) for key, what in
             (("title", "the heading in Chinese"), ("title_en", "the heading in English"))]
    found += translation_problems(entry, ("title",))
    return [(key, message) for key, message in found if message]


def _form_problems(entry: Dict[str, Any]) -> List[Tuple[str, str]]:
    found = [(key, _text(entry.get(key), required, what)) for key, required, what in (
        ("category", True, "the code of one of the [[categories]]"),
        ("title", True, "the form's name as printed on it"),
        ("title_en", True, "the form's name in English"),
        ("description", False, ""), ("description_en", False, ""))]
    found.append(("url", _url_problem(entry.get("url"), entry.get("office_file") is True)))
    for key in ("url_is_page", "bilingual", "office_file"):
        if not isinstance(entry.get(key, False), bool):
            found.append((key, f"must be true or false, got {entry[key]!r}"))
    found += translation_problems(entry, ("title", "description"))
    return [(key, message) for key, message in found if message]


def _tables(data, name, keys, check, lines, file, problems) -> List[Tuple[Dict[str, Any], Dict[str, int]]]:
    """Check each ``[[name]]`` table; return the good ones with their keys' lines, add problems for the rest."""
    entries = data.get(name, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(FormProblem(file, lines.get(name), name, f"must be [[{name}]] tables"))
        return []
    good, seen = [], {}
    for n, entry in enumerate(entries):
        code = entry.get("code")
        named = isinstance(code, str) and bool(CODE.fullmatch(code))
        where = f"{name}.{code}" if named else f"{name}[{n}]"
        found = [(key, unknown_language(key, ("title", "description")) or
                  f"unknown key; an entry of [[{name}]] knows: {', '.join(keys)}"
                  + (". Hint: write remove = [...] at the top, before the first [[table]]" if key == "remove" else ""))
                 for key in entry if key not in keys]
        if not named:
            found.append(("code", f"must be lowercase letters, digits and '-' (e.g. 'move-in'), got {code!r}"))
        elif code in seen:
            found.append(("code", f"{code!r} is already used by the entry at line {seen[code]}"))
        else:
            seen[code] = lines.get(f"{name}[{n}]")
        found.extend(check(entry))
        at = {key: lines.get(f"{name}[{n}].{key}", lines.get(f"{name}[{n}]")) for key in (*keys, *entry)}
        problems.extend(FormProblem(file, at[key], f"{where}.{key}", message) for key, message in found)
        if not found:
            good.append((entry, at))
    return good


def parse_file(text: str, file: str, shipped: bool = False) -> Tuple[_Layer, List[FormProblem]]:
    """Check one file's text; return its good entries and every problem.

    ``shipped``: the file is the catalogue shipped with the software, whose forms the office server knows.
    """
    layer, problems = _Layer(file), []
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        return layer, [FormProblem(file, int(match.group(1)) if match else None, "(syntax)",
                                   f"not valid TOML: {message}")]
    lines = key_lines(text)
    problems.extend(FormProblem(file, lines.get(key), key, f"unknown key; a forms file knows: {', '.join(TOP_KEYS)}")
                    for key in data if key not in TOP_KEYS)
    for entry, _ in _tables(data, "categories", CATEGORY_KEYS, _category_problems, lines, file, problems):
        layer.categories.append(Category(entry["code"], entry["title"].strip(), entry["title_en"].strip(),
                                         translations(entry, "title")))
    complete = data.get("complete", False)
    if isinstance(complete, bool):
        layer.complete = complete
    else:
        problems.append(FormProblem(file, lines.get("complete"), "complete", f"must be true or false, got {complete!r}"))
    for entry, at in _tables(data, "forms", FORM_KEYS, _form_problems, lines, file, problems):
        form = Form(entry["code"], entry["category"], entry["title"].strip(), entry["title_en"].strip(),
                    entry.get("description", "").strip(), entry.get("description_en", "").strip(),
                    entry.get("url", ""), entry.get("bilingual", False), entry.get("url_is_page", False),
                    entry.get("office_file", False), via_office=shipped or layer.complete,
                    titles=translations(entry, "title"), descriptions=translations(entry, "description"))
        layer.forms.append((form, at["category"]))
    remove = data.get("remove", [])
    layer.remove_line = lines.get("remove")
    if isinstance(remove, list) and all(isinstance(code, str) for code in remove):
        layer.remove = remove
    else:
        problems.append(FormProblem(file, layer.remove_line, "remove",
                                    f"must be a list of form codes such as [\"home-service\"], got {remove!r}"))
    return layer, problems


def _merge(layers: Sequence[_Layer]) -> Tuple[FormCatalogue, List[FormProblem]]:
    """Apply the layers in order; check what needs them all (categories, removals)."""
    categories: Dict[str, Category] = {}
    forms: Dict[str, Tuple[Form, str, Optional[int]]] = {}
    problems = []
    for layer in layers:
        if layer.complete:
            categories.clear()
            forms.clear()
        for code in layer.remove:
            if forms.pop(code, None) is None:
                problems.append(FormProblem(layer.file, layer.remove_line, "remove", f"{code!r} is not a form of an "
                                            f"earlier catalogue{_suggest(code, list(forms))}"))
        categories.update((category.code, category) for category in layer.categories)  # a replacement keeps its place
        forms.update((form.code, (form, layer.file, line)) for form, line in layer.forms)
    kept = []
    for form, file, line in forms.values():
        if form.category in categories:
            kept.append(form)
        else:
            problems.append(FormProblem(file, line, f"forms.{form.code}.category", f"unknown category "
                                        f"{form.category!r}; known: {', '.join(categories)}"))
    return FormCatalogue(tuple(categories.values()), tuple(kept)), problems


def read_file(path: Union[str, Path]) -> Tuple[Optional[str], List[FormProblem]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [FormProblem(str(path), None, "(file)", f"cannot read: {exc.strerror or exc}")]
    return decode_file(raw, str(path))


def decode_file(raw: bytes, file: str) -> Tuple[Optional[str], List[FormProblem]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [FormProblem(file, raw[:exc.start].count(b"\n") + 1, "(file)",
                                  "is not UTF-8 text; save it as UTF-8 (Big5 files are not accepted)")]


def load_sources(sources: Sequence[Tuple[Optional[str], str]]) -> Tuple[FormCatalogue, List[FormProblem]]:
    """Parse each ``(text, file)`` (text None: unreadable, skipped) and merge them in order; the first is the base."""
    layers, problems = [], []
    for n, (text, file) in enumerate(sources):
        if text is not None:
            layer, found = parse_file(text, file, shipped=n == 0)
            layers.append(layer)
            problems.extend(found)
    catalogue, found = _merge(layers)
    problems += found
    if not catalogue.forms and layers and not problems:  # else the reason is already reported
        problems.append(FormProblem(layers[-1].file, None, "forms",
                                    "the catalogue has no form: the screen would be empty"))
    return catalogue, problems


def load_catalogue(path: Union[str, Path, None] = None,
                   override: Union[str, Path, None] = None) -> Tuple[FormCatalogue, List[FormProblem]]:
    """Read the shipped catalogue (or ``path``), then ``override``; return it and every problem.

    Bad entries are left out and reported; an unreadable override is skipped.
    """
    sources, problems = [], []
    for file in (path or SHIPPED, override):
        if file is not None:
            text, found = read_file(file)
            sources.append((text, str(file)))
            problems.extend(found)
    catalogue, found = load_sources(sources)
    return catalogue, problems + found


def check_catalogue(path: Union[str, Path]) -> List[FormProblem]:
    """Every problem of a complete catalogue file; [] if it is fine.

    An override names categories of the shipped file: check it in place with
    ``load_catalogue(override=path)[1]``.
    """
    return load_catalogue(path)[1]


# -- how dense an address's QR code is -----------------------------------------------------------

#: Data codewords of each QR version 1-40 at error correction M (ISO/IEC 18004, table 7).
_DATA_CODEWORDS_M = (16, 28, 44, 64, 86, 108, 124, 154, 182, 216, 254, 290, 334, 365, 415, 453, 507, 563, 627, 669,
                     714, 782, 860, 914, 1000, 1062, 1128, 1193, 1267, 1373, 1455, 1541, 1631, 1725, 1812, 1914, 1992,
                     2102, 2216, 2334)


def _side(version: int) -> int:
    return 17 + 4 * version


def qr_version(url: str) -> int:
    """The QR version (1-40) ``url`` needs at error correction M, in byte mode; ValueError if none holds it.

    Counted here rather than by building the code (the kiosk draws it with the qrcode library, the office server
    has no such library): a mode indicator (4 bits), the length (8 bits up to version 9, 16 from version 10) and
    8 bits a byte.  A web address is byte-mode text (its lowercase letters are not in QR's alphanumeric set), so
    this is the version the kiosk draws; ``tests/test_forms_format.py`` compares the two.
    """
    size = len(url.encode("utf-8"))
    for version, codewords in enumerate(_DATA_CODEWORDS_M, start=1):
        if 4 + (8 if version < 10 else 16) + 8 * size <= 8 * codewords:
            return version
    raise ValueError(f"is {len(url)} characters: too long for any QR code "
                     f"(keep it within version {MAX_QR_VERSION}, about 210 characters)")

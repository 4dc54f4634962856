"""
Forms catalogue
===============

書表下載: the kiosk lists the office's blank forms (書表) by category; a
resident picks one and scans its QR code to get the form on their phone, or
prints a slip with the code.  No Kivy here: the screens call this module.

The catalogue is TOML.  ``kiosk/data/forms.toml`` ships with the software; an
office changes it with an override file in the same format, read after it::

    [[categories]]                    # a code already known replaces that category
    code = "household"
    title = "戶籍登記"
    title_en = "Household registration"

    [[forms]]                         # a code already known replaces that form, whole
    code = "move-in"                  # lowercase letters, digits and '-'; never renamed
    category = "household"
    title = "遷入登記申請書"
    title_en = "Application for Move-in Registration"
    description = "搬進本轄區居住..."   # optional, one line: when you need it
    description_en = "When you move..."
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
it out (:meth:`Catalogue.offered`).

Every problem is a :class:`FormProblem` ``(file, line, key, message)``, its
key naming the entry (``forms.move-in.url``, or ``forms[3].code`` when the
code itself is wrong).  A bad entry is left out and the rest still load;
:class:`CatalogueCache` goes further and only ever adopts an override that
checks clean, so the screen never shows a blank or half-broken catalogue.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.9/3.10 only
    import tomli as tomllib

import qrcode
from PIL import Image

from . import timeutil
from .config import key_lines

__all__ = ["Category", "Form", "Catalogue", "FormProblem", "CatalogueCache", "load_catalogue",
           "check_catalogue", "qr_version", "qr_matrix", "qr_image", "warm_qr_cache",
           "record_view", "record_slip", "SHIPPED", "MAX_QR_VERSION"]

SHIPPED = Path(__file__).parent / "data" / "forms.toml"

#: The densest QR code the forms screen may show.  The code is drawn about 8 cm
#: wide and read by a phone held 30-40 cm from the screen: version 10 is 57x57
#: modules (65 with the quiet zone), about 1.2 mm a module, which phones still
#: read at once; denser codes need the phone held closer and fail on older
#: phones.  At error correction M version 10 holds a URL of about 210
#: characters; a ministry PDF address (88) is version 5, a 100-character URL 6.
MAX_QR_VERSION = 10
QR_BORDER = 4  # modules of white quiet zone around the code: phones need it
QR_ERROR = qrcode.constants.ERROR_CORRECT_M

CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
HTTPS_URL = re.compile(r"https://[^\s/?#@]+(?:[/?#]\S*)?")
TOP_KEYS = ("categories", "forms", "remove", "complete")
CATEGORY_KEYS = ("code", "title", "title_en")
FORM_KEYS = ("code", "category", "title", "title_en", "description", "description_en", "url",
             "url_is_page", "bilingual", "office_file")


@dataclass(frozen=True)
class Category:
    """A heading of the forms screen (戶籍登記, 印鑑...)."""

    code: str
    title: str
    title_en: str

    def title_in(self, lang: str) -> str:
        return self.title if lang == "zh-TW" else self.title_en


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

    def address(self, public_url: str = "") -> str:
        """What the QR code opens: ``<public_url>f/<code>`` for a form the office server knows, else ``url``.

        "" when there is no address a phone can open (a file only the office server keeps, and no public URL).
        """
        if public_url and self.via_office:
            return (public_url if public_url.endswith("/") else public_url + "/") + f"f/{self.code}"
        return self.url

    def title_in(self, lang: str) -> str:
        return self.title if lang == "zh-TW" else self.title_en

    def description_in(self, lang: str) -> str:
        return self.description if lang == "zh-TW" else self.description_en


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
class Catalogue:
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

    def offered(self, public_url: str = "") -> "Catalogue":
        """The catalogue without the forms a phone could not open from this kiosk (see :meth:`Form.address`)."""
        kept = tuple(form for form in self.forms if form.address(public_url))
        return self if len(kept) == len(self.forms) else Catalogue(self.categories, kept)

    def popular(self, store, limit: int = 6) -> List[Form]:
        """The ``limit`` most viewed forms (``form_view`` events), ties in catalogue order.

        Forms never viewed count as 0 views, so a new kiosk still fills the list.
        This reads every form_view event: call it once when the screen opens.
        """
        sql = ("SELECT json_extract(data, '$.code'), COUNT(*) FROM events "
               "WHERE type = 'form_view' GROUP BY 1")
        views = dict(store.read(lambda c: c.execute(sql).fetchall()))
        return sorted(self.forms, key=lambda form: -views.get(form.code, 0))[:limit]  # sorted() is stable


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
        found = [(key, f"unknown key; an entry of [[{name}]] knows: {', '.join(keys)}"
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


def _parse(text: str, file: str, shipped: bool = False) -> Tuple[_Layer, List[FormProblem]]:
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
        layer.categories.append(Category(entry["code"], entry["title"].strip(), entry["title_en"].strip()))
    complete = data.get("complete", False)
    if isinstance(complete, bool):
        layer.complete = complete
    else:
        problems.append(FormProblem(file, lines.get("complete"), "complete", f"must be true or false, got {complete!r}"))
    for entry, at in _tables(data, "forms", FORM_KEYS, _form_problems, lines, file, problems):
        form = Form(entry["code"], entry["category"], entry["title"].strip(), entry["title_en"].strip(),
                    entry.get("description", "").strip(), entry.get("description_en", "").strip(),
                    entry.get("url", ""), entry.get("bilingual", False), entry.get("url_is_page", False),
                    entry.get("office_file", False), via_office=shipped or layer.complete)
        layer.forms.append((form, at["category"]))
    remove = data.get("remove", [])
    layer.remove_line = lines.get("remove")
    if isinstance(remove, list) and all(isinstance(code, str) for code in remove):
        layer.remove = remove
    else:
        problems.append(FormProblem(file, layer.remove_line, "remove",
                                    f"must be a list of form codes such as [\"home-service\"], got {remove!r}"))
    return layer, problems


def _merge(layers: Sequence[_Layer]) -> Tuple[Catalogue, List[FormProblem]]:
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
    return Catalogue(tuple(categories.values()), tuple(kept)), problems


def _read(path: Union[str, Path]) -> Tuple[Optional[str], List[FormProblem]]:
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        return None, [FormProblem(str(path), None, "(file)", f"cannot read: {exc.strerror or exc}")]
    return _decode(raw, str(path))


def _decode(raw: bytes, file: str) -> Tuple[Optional[str], List[FormProblem]]:
    try:
        return raw.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        return None, [FormProblem(file, raw[:exc.start].count(b"\n") + 1, "(file)",
                                  "is not UTF-8 text; save it as UTF-8 (Big5 files are not accepted)")]


def _load(sources: Sequence[Tuple[Optional[str], str]]) -> Tuple[Catalogue, List[FormProblem]]:
    """Parse each ``(text, file)`` (text None: unreadable, skipped) and merge them in order; the first is the base."""
    layers, problems = [], []
    for n, (text, file) in enumerate(sources):
        if text is not None:
            layer, found = _parse(text, file, shipped=n == 0)
            layers.append(layer)
            problems.extend(found)
    catalogue, found = _merge(layers)
    problems += found
    if not catalogue.forms and layers and not problems:  # else the reason is already reported
        problems.append(FormProblem(layers[-1].file, None, "forms",
                                    "the catalogue has no form: the screen would be empty"))
    return catalogue, problems


def load_catalogue(path: Union[str, Path, None] = None,
                   override: Union[str, Path, None] = None) -> Tuple[Catalogue, List[FormProblem]]:
    """Read the shipped catalogue (or ``path``), then ``override``; return it and every problem.

    Bad entries are left out and reported; an unreadable override is skipped.
    """
    sources, problems = [], []
    for file in (path or SHIPPED, override):
        if file is not None:
            text, found = _read(file)
            sources.append((text, str(file)))
            problems.extend(found)
    catalogue, found = _load(sources)
    return catalogue, problems + found


def check_catalogue(path: Union[str, Path]) -> List[FormProblem]:
    """Every problem of a complete catalogue file; [] if it is fine.

    An override names categories of the shipped file: check it in place with
    ``load_catalogue(override=path)[1]``.
    """
    return load_catalogue(path)[1]


# -- the last good catalogue -------------------------------------------------------------------

class CatalogueCache:
    """The catalogue the screen shows: the shipped one plus the last override that checked clean.

    :meth:`update` takes an override's text (from the office's file now, from
    the office server later) and adopts it only if it has no problem, keeping
    it in ``<data_dir>/forms-last-good.toml`` so a restart, or a broken file
    next time, still shows it.  A refused update leaves :attr:`problems` for
    the admin screen.
    """

    FILE = "forms-last-good.toml"

    def __init__(self, data_dir: Union[str, Path], shipped: Union[str, Path, None] = None):
        self.path = Path(data_dir) / self.FILE
        self.shipped = Path(shipped or SHIPPED)
        self.problems: List[FormProblem] = []  # of the last refused update
        self.source: Optional[str] = None      # where the kept override came from; None: shipped only
        self.kept_at: Optional[str] = None
        self._catalogue: Optional[Catalogue] = None
        self._lock = threading.Lock()

    def _shipped(self) -> Tuple[Optional[str], str]:
        return _read(self.shipped)[0], str(self.shipped)

    def current(self) -> Catalogue:
        """The catalogue to show; never blank while the shipped file is intact."""
        with self._lock:
            if self._catalogue is None:
                self._catalogue = self._load_kept()
            return self._catalogue

    def _with(self, text: Optional[str], file: str) -> Tuple[Catalogue, List[FormProblem]]:
        """The shipped catalogue with this override, and the problems the override brings."""
        shipped = self._shipped()
        baseline = set(_load([shipped])[1])  # the shipped file's own faults are not the override's
        catalogue, problems = _load([shipped, (text, file)])
        return catalogue, [p for p in problems if p not in baseline]

    def _load_kept(self) -> Catalogue:
        if self.path.is_file():
            text, problems = _read(self.path)
            catalogue, found = self._with(text, str(self.path))
            if text is not None and not problems + found:
                self.source = _header(text, "source")
                self.kept_at = _header(text, "kept")
                return catalogue
            # A damaged file, or a software update dropped a category the override used.
            self.problems = problems + found
        return _load([self._shipped()])[0]

    def update(self, text: Union[str, bytes], source: str) -> List[FormProblem]:
        """Adopt ``text`` as the override if it checks clean; return its problems ([] if adopted)."""
        if isinstance(text, bytes):
            text, problems = _decode(text, source)
            if problems:
                self.problems = problems
                return problems
        catalogue, problems = self._with(text, source)
        with self._lock:
            if problems:
                self.problems = problems
                return problems
            source_line = " ".join(str(source).split())
            kept_at = timeutil.rfc3339(timeutil.now())
            _write_atomically(self.path, f"# Kept by the kiosk: the last forms override that checked clean.\n"
                                         f"# source: {source_line}\n# kept: {kept_at}\n{text}")
            self._catalogue, self.problems = catalogue, []
            self.source, self.kept_at = source_line, kept_at
            return []


def _header(text: str, name: str) -> Optional[str]:
    match = re.search(rf"^# {name}: (.*)$", text, re.M)
    return match.group(1) if match else None


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a power cut leaves the old file or the new, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


# -- QR codes ----------------------------------------------------------------------------------

def _side(version: int) -> int:
    return 17 + 4 * version


@functools.lru_cache(maxsize=512)
def qr_version(url: str) -> int:
    """The QR version (1-40) of ``url`` at error correction M; ValueError if no version holds it."""
    qr = qrcode.QRCode(error_correction=QR_ERROR, border=QR_BORDER)
    qr.add_data(url)
    try:
        return qr.best_fit()  # what make(fit=True) picks, without drawing the code
    except qrcode.exceptions.DataOverflowError:
        raise ValueError(f"is {len(url)} characters: too long for any QR code "
                         f"(keep it within version {MAX_QR_VERSION}, about 210 characters)") from None


@functools.lru_cache(maxsize=512)
def _matrix(url: str) -> Tuple[Tuple[bool, ...], ...]:
    qr = qrcode.QRCode(error_correction=QR_ERROR, border=QR_BORDER, box_size=1)
    qr.add_data(url)
    qr.make(fit=True)
    return tuple(tuple(row) for row in qr.get_matrix())


def qr_matrix(url: str) -> List[List[bool]]:
    """The modules of ``url``'s QR code (error correction M), quiet zone included; True is dark.

    Built once per URL, then cached.  Measured on the development machine: 5 ms
    for https://www.ris.gov.tw/ (version 2), 11-13 ms for a ministry PDF address
    (version 5), about 30 ms at the version-10 limit; a Raspberry Pi is slower.
    Call :func:`warm_qr_cache` when a catalogue is loaded so that a resident's
    tap never waits on a build (the screen's budget is 20 ms).
    """
    return [list(row) for row in _matrix(url)]


def qr_image(url: str, size_px: int) -> Image.Image:
    """``url``'s QR code as a ``size_px`` square greyscale ("L") image, crisp and with its quiet zone.

    Every module is the same whole number of pixels (nearest neighbour, no
    blur); what is left over becomes extra white margin, centred.
    """
    matrix = _matrix(url)
    side = len(matrix)
    module = size_px // side
    if module < 1:
        raise ValueError(f"the QR code of {url!r} is {side} modules wide with its quiet zone: "
                         f"it needs at least {side} px, got {size_px}")
    small = Image.new("L", (side, side))
    small.putdata([0 if dark else 255 for row in matrix for dark in row])
    image = Image.new("L", (size_px, size_px), 255)
    offset = (size_px - side * module) // 2
    image.paste(small.resize((side * module, side * module), Image.Resampling.NEAREST), (offset, offset))
    return image


def warm_qr_cache(catalogue: Catalogue, public_url: str = "") -> None:
    """Build every form's QR code now (e.g. in a thread at start), so showing one is instant."""
    for url in dict.fromkeys(form.address(public_url) for form in catalogue.forms):
        if url:
            _matrix(url)


# -- events ------------------------------------------------------------------------------------

def _event_data(form: Form, lang: str) -> Dict[str, str]:
    return {"code": form.code, "title": form.title, "category": form.category, "lang": lang}


def record_view(store, form: Form, lang: str):
    """Record that a resident opened ``form`` (its QR code is on screen); return the event."""
    return store.record_event("form_view", _event_data(form, lang))


def record_slip(store, form: Form, lang: str):
    """Record that a slip with ``form``'s QR code was printed; return the event."""
    return store.record_event("form_slip", _event_data(form, lang))

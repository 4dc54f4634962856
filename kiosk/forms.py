"""
The kiosk's forms
=================

書表下載: the kiosk lists the office's blank forms (書表) by category; a
resident picks one and scans its QR code to get the form on their phone, or
prints a slip with the code.  No Kivy here: the screens call this module.

The catalogue's format, and how its files are read and checked, are shared
with the office server (``protocol/forms_format.py``).  Here is what only the
kiosk does with it: :class:`FormCatalogueCache` keeps the last override that
checked clean (so the screen never shows a blank or half-broken catalogue),
the QR codes are drawn, the most viewed forms are counted, and views and
slips are recorded.
"""

from __future__ import annotations

import functools
import re
import threading
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

import qrcode
from PIL import Image

from protocol import officetime
from protocol.forms_format import SHIPPED, Form, FormCatalogue, FormProblem, decode_file, load_sources, read_file

from .atomic_files import write_atomically

__all__ = ["FormCatalogueCache", "popular", "qr_matrix", "qr_image", "warm_qr_cache", "record_view", "record_slip"]

QR_BORDER = 4  # modules of white quiet zone around the code: phones need it
QR_ERROR = qrcode.constants.ERROR_CORRECT_M


# -- the last good catalogue -------------------------------------------------------------------

class FormCatalogueCache:
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
        self._catalogue: Optional[FormCatalogue] = None
        self._lock = threading.Lock()

    def _shipped(self) -> Tuple[Optional[str], str]:
        return read_file(self.shipped)[0], str(self.shipped)

    def current(self) -> FormCatalogue:
        """The catalogue to show; never blank while the shipped file is intact."""
        with self._lock:
            if self._catalogue is None:
                self._catalogue = self._load_kept()
            return self._catalogue

    def _with(self, text: Optional[str], file: str) -> Tuple[FormCatalogue, List[FormProblem]]:
        """The shipped catalogue with this override, and the problems the override brings."""
        shipped = self._shipped()
        baseline = set(load_sources([shipped])[1])  # the shipped file's own faults are not the override's
        catalogue, problems = load_sources([shipped, (text, file)])
        return catalogue, [p for p in problems if p not in baseline]

    def _load_kept(self) -> FormCatalogue:
        if self.path.is_file():
            text, problems = read_file(self.path)
            catalogue, found = self._with(text, str(self.path))
            if text is not None and not problems + found:
                self.source = _header(text, "source")
                self.kept_at = _header(text, "kept")
                return catalogue
            # A damaged file, or a software update dropped a category the override used.
            self.problems = problems + found
        return load_sources([self._shipped()])[0]

    def update(self, text: Union[str, bytes], source: str) -> List[FormProblem]:
        """Adopt ``text`` as the override if it checks clean; return its problems ([] if adopted)."""
        if isinstance(text, bytes):
            text, problems = decode_file(text, source)
            if problems:
                self.problems = problems
                return problems
        catalogue, problems = self._with(text, source)
        with self._lock:
            if problems:
                self.problems = problems
                return problems
            source_line = " ".join(str(source).split())
            kept_at = officetime.rfc3339(officetime.now())
            write_atomically(self.path, (f"# Kept by the kiosk: the last forms override that checked clean.\n"
                                         f"# source: {source_line}\n# kept: {kept_at}\n{text}").encode("utf-8"))
            self._catalogue, self.problems = catalogue, []
            self.source, self.kept_at = source_line, kept_at
            return []


def _header(text: str, name: str) -> Optional[str]:
    match = re.search(rf"^# {name}: (.*)$", text, re.M)
    return match.group(1) if match else None


# -- QR codes ----------------------------------------------------------------------------------

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


def warm_qr_cache(catalogue: FormCatalogue, public_url: str = "") -> None:
    """Build every form's QR code now (e.g. in a thread at start), so showing one is instant."""
    for url in dict.fromkeys(form.address(public_url) for form in catalogue.forms):
        if url:
            _matrix(url)


# -- what residents look at ----------------------------------------------------------------------

def popular(catalogue: FormCatalogue, store, limit: int = 6) -> List[Form]:
    """The ``limit`` most viewed forms (``form_view`` events), ties in catalogue order.

    Forms never viewed count as 0 views, so a new kiosk still fills the list.
    This reads every form_view event: call it once when the screen opens.
    """
    sql = ("SELECT json_extract(data, '$.code'), COUNT(*) FROM events "
           "WHERE type = 'form_view' GROUP BY 1")
    views = dict(store.read(lambda c: c.execute(sql).fetchall()))
    return sorted(catalogue.forms, key=lambda form: -views.get(form.code, 0))[:limit]  # sorted() is stable


# -- events ------------------------------------------------------------------------------------

def _event_data(form: Form, lang: str) -> Dict[str, str]:
    return {"code": form.code, "title": form.title, "category": form.category, "lang": lang}


def record_view(store, form: Form, lang: str):
    """Record that a resident opened ``form`` (its QR code is on screen); return the event."""
    return store.record_event("form_view", _event_data(form, lang))


def record_slip(store, form: Form, lang: str):
    """Record that a slip with ``form``'s QR code was printed; return the event."""
    return store.record_event("form_slip", _event_data(form, lang))

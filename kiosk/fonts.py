"""
Traditional Chinese fonts, and Thai beside them
===============================================

Kivy's default font has no CJK at all, and Debian's Noto Sans CJK ships as a
``.ttc`` collection whose first face is the *Japanese* one: Kivy always opens
face 0, so 戶, 所, 意 and 度 would take Japanese shapes.  We therefore extract
the face named "Noto Sans CJK TC" into plain ``.otf`` files and give those to
Kivy (and to Pillow for printer rasters).

The build is reproducible: the input is Debian's pinned ``fonts-noto-cjk``
package, the face is chosen by name (not by index), and the output keeps the
font's own timestamps (``recalcTimestamp=False``).  ``make`` builds the files
into ``kiosk/fonts/``; an installed kiosk without them builds them once into
its cache.  The licence travels with them (``kiosk/fonts/LICENSE-OFL.txt``).

Thai is not in that face (nor can it be added: the face has the most glyphs
a font can hold), so the Thai faces of Debian's ``fonts-noto-core`` are
copied beside it (same licence) and drawn by ``kiosk/ui/text_provider.py``
wherever a text has Thai in it.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from .errors import FontError

__all__ = ["FAMILY", "font_files", "build_fonts", "find_collection", "fallback_files", "TEXT_STEPS", "text_size_step",
           "THAI", "runs"]

log = logging.getLogger("kiosk.fonts")

FAMILY = "Noto Sans CJK TC"
STYLES = {"regular": "NotoSansCJKtc-Regular.otf", "bold": "NotoSansCJKtc-Bold.otf"}
COLLECTIONS = {"regular": "NotoSansCJK-Regular.ttc", "bold": "NotoSansCJK-Bold.ttc"}
SYSTEM_FONT_DIRS = ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/noto-cjk", "/usr/share/fonts")
#: The faces for scripts the Chinese face lacks (kiosk/ui/text_provider.py draws them), from Debian's
#: fonts-noto-core.  Noto Sans CJK TC already has Latin and every Vietnamese letter.
FALLBACKS = {"thai": {"regular": "NotoSansThai-Regular.ttf", "bold": "NotoSansThai-Bold.ttf"}}
FALLBACK_DIRS = ("/usr/share/fonts/truetype/noto", "/usr/share/fonts")
#: Characters the Chinese face lacks, and the script they belong to (the key of FALLBACKS that draws them).
THAI = re.compile("[\u0e00-\u0e7f]+")

PACKAGE_FONT_DIR = Path(__file__).with_name("fonts")

#: The text sizes labels are drawn at, in layout units (``app.u``, 1/100 of the screen's short
#: side): round numbers where the kv files' sizes cluster (3.4, 4, 5, 6, 8), 15-25 % apart up to
#: 6 units, a third apart above (a big text a step smaller shows less than a small one).
#: Kivy's text provider opens one FreeType face per (font file, size), and a face of this
#: 16 MB CJK font holds about 2.5 MB (its cmap, CFF offsets and charset, HarfBuzz's copies of
#: GSUB/GPOS) whatever the size: the kv files asked for some 25 distinct sizes, over 60 MB of
#: faces.  A WrapLabel fitting its text measures at each step on its way down, and measuring
#: opens a face too: no 7 (it cost a face only ever measured).  See :func:`text_size_step`.
TEXT_STEPS = (1.0, 1.2, 1.4, 1.7, 2.0, 2.4, 2.8, 3.4, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 16.0, 20.0, 24.0, 32.0,
              40.0, 50.0, 64.0, 80.0, 100.0, 128.0)


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kiosk" / "fonts"


def _candidate_dirs() -> List[Path]:
    dirs = []
    if os.environ.get("KIOSK_FONT_DIR"):
        dirs.append(Path(os.environ["KIOSK_FONT_DIR"]))
    dirs += [PACKAGE_FONT_DIR, Path("/usr/share/kiosk/fonts"), _cache_dir()]
    return dirs


def find_collection(style: str, search: Iterable[str] = SYSTEM_FONT_DIRS) -> Optional[Path]:
    """The Noto Sans CJK ``.ttc`` for a style, if the system has one."""
    name = COLLECTIONS[style]
    for folder in search:
        for path in [Path(folder) / name, *Path(folder).glob(f"**/{name}")] if Path(folder).is_dir() else []:
            if path.is_file():
                return path
    return None


def _extract(collection: Path, target: Path) -> None:
    from fontTools.ttLib import TTCollection  # imported here: only the one-time build needs it

    with TTCollection(str(collection), lazy=True) as fonts:
        for font in fonts.fonts:
            if font["name"].getDebugName(1) == FAMILY:
                target.parent.mkdir(parents=True, exist_ok=True)
                partial = target.with_suffix(".partial")
                font.recalcTimestamp = False  # keep the font's own date: same bytes on every build
                font.save(str(partial), reorderTables=False)
                os.replace(partial, target)  # never leave a half-written font behind
                return
    raise FontError(f"{collection} has no face named {FAMILY!r}")


def build_fonts(dest: Optional[Path] = None, search: Iterable[str] = SYSTEM_FONT_DIRS) -> Dict[str, Path]:
    """Extract the TC faces from the system's Noto CJK collections into ``dest``."""
    dest = Path(dest) if dest else PACKAGE_FONT_DIR
    built = {}
    for style, filename in STYLES.items():
        collection = find_collection(style, search)
        if collection is None:
            raise FontError(f"{COLLECTIONS[style]} not found in {', '.join(search)}; "
                            "install Debian's fonts-noto-cjk (apt-get install fonts-noto-cjk)")
        _extract(collection, dest / filename)
        built[style] = dest / filename
        log.info("built %s from %s", dest / filename, collection)
    for script, styles in fallback_files(FALLBACK_DIRS).items():  # beside them, so the image can drop the package
        for style, source in styles.items():
            partial = (dest / source.name).with_suffix(".partial")
            shutil.copyfile(source, partial)
            os.replace(partial, dest / source.name)
            built[f"{script}-{style}"] = dest / source.name
            log.info("copied %s from %s", dest / source.name, source)
    return built


def font_files(build: bool = True) -> Dict[str, Path]:
    """Paths of the regular and bold TC faces, building them once if needed.

    Looks in ``$KIOSK_FONT_DIR``, the package, ``/usr/share/kiosk/fonts`` and
    the user's cache, in that order; builds into the first writable of the
    package folder and the cache.
    """
    for folder in _candidate_dirs():
        paths = {style: folder / name for style, name in STYLES.items()}
        if all(p.is_file() for p in paths.values()):
            return paths
    if not build:
        raise FontError(f"no {FAMILY} font files in {', '.join(map(str, _candidate_dirs()))}; run 'kiosk fonts build'")
    for dest in (PACKAGE_FONT_DIR, _cache_dir()):
        try:
            return build_fonts(dest)
        except PermissionError:
            continue
    raise FontError(f"cannot write the {FAMILY} font files to {PACKAGE_FONT_DIR} or {_cache_dir()}")


def fallback_files(search: Optional[Iterable[str]] = None) -> Dict[str, Dict[str, Path]]:
    """The Thai faces: ``{"thai": {"regular": path, "bold": path}}``.

    From where ``kiosk fonts build`` copied them (the folders :func:`font_files` reads), else from the
    system's fonts-noto-core.
    """
    search = list(search) if search is not None else [*map(str, _candidate_dirs()), *FALLBACK_DIRS]
    found: Dict[str, Dict[str, Path]] = {}
    for script, styles in FALLBACKS.items():
        for style, name in styles.items():
            path = next((p for folder in search for p in _named(Path(folder), name)), None)
            if path is None:
                raise FontError(f"{name} not found in {', '.join(search)}; the {script.title()} screens need it: "
                                "install Debian's fonts-noto-core (apt-get install fonts-noto-core)")
            found.setdefault(script, {})[style] = path
    return found


def _named(folder: Path, name: str) -> Iterable[Path]:
    if (folder / name).is_file():
        yield folder / name
    elif folder.is_dir():
        yield from (p for p in folder.glob(f"**/{name}") if p.is_file())


def text_size_step(size_px: float, unit_px: float) -> int:
    """The size, in whole pixels, that a label asking for ``size_px`` is drawn at.

    The largest of :data:`TEXT_STEPS` times ``unit_px`` not above ``size_px``,
    in whole pixels (Kivy's text provider truncates sizes anyway): text never
    grows, so what fitted still fits; it shrinks by at most 25 % (7.9 units
    is drawn at 6), 13 % up to 6 units (4.6 is drawn at 4).  A
    step's size is its own step, so asking twice changes nothing.  Sizes
    below the smallest step, or without a unit, are only truncated.
    """
    target = max(1, int(size_px))
    if unit_px <= 0:
        return target
    best = None
    for step in TEXT_STEPS:
        if int(step * unit_px) > target:
            break
        best = int(step * unit_px)
    return max(1, best) if best is not None else target


def runs(text: str) -> List[Tuple[Optional[str], str]]:
    """``text`` cut into (script, run): script "thai" (a face of :data:`FALLBACKS`), or None for the Chinese face.

    The screens (``ui/text_provider.py``) and the printer's raster lines (``printed_text.py``) draw each run
    in its own face.
    """
    out: List[Tuple[Optional[str], str]] = []
    at = 0
    for match in THAI.finditer(text):
        if match.start() > at:
            out.append((None, text[at:match.start()]))
        out.append(("thai", match.group()))
        at = match.end()
    if at < len(text) or not out:
        out.append((None, text[at:]))
    return out

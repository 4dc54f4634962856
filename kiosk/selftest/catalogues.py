"""
The self-test's rows for what the kiosk reads rather than drives
================================================================

The config file (with what ``kiosk config check`` warns about), the services
residents take a number for, the blank forms catalogue (the shipped one, the
office's or a local override, and how many forms only open a web page), and
the Traditional Chinese font (its family, and a glyph for every character of
the office's name and the rating buttons), and the Thai face and HarfBuzz
(Pillow's libraqm) that Thai needs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Tuple

from protocol import officetime

from .rows import FAIL, PASS, WARN, Check, plural

if TYPE_CHECKING:
    from . import SelfTest

__all__ = ["check_config", "check_services", "check_forms", "check_fonts"]

PAGE_ONLY_FORMS_WARN = 3   # more forms than this whose QR only opens a page listing forms: a WARN


def check_config(t: SelfTest) -> Check:
    """The file loaded (else there would be no self-test); WARN with what ``kiosk config check`` warns about."""
    from ..config import config_warnings

    config = t.config
    where = str(config.source) if config.source else "built-in defaults"
    reason = (f"{where}: kiosk {config.kiosk.id} ({config.kiosk.office}), {config.hardware.mode} hardware, "
              f"language {config.kiosk.language}")
    warnings = config_warnings(config)
    if not warnings:
        return Check("config", PASS, reason)
    return Check("config", WARN, "; ".join([reason] + [f"{w.key} {w.message}" for w in warnings]),
                 "; ".join(dict.fromkeys(w.advice for w in warnings)))


def check_services(t: SelfTest) -> Check:
    services = t.config.services
    now = officetime.now()
    closed = [s.prefix for s in services if not s.open_at(now)]
    prefixes = " ".join(s.prefix for s in services)
    return Check("services", PASS, f"{plural(len(services), 'service')} ({prefixes}), "
                                   + (f"closed now: {' '.join(closed)}" if closed else "all open now")
                                   + f"; numbers wrap at {t.config.tickets.wrap}")


def check_forms(t: SelfTest) -> Check:
    from protocol.forms_format import SHIPPED, load_catalogue
    from ..forms import FormCatalogueCache

    override = t.config.forms.file or None
    shipped_problems = load_catalogue()[1]
    if shipped_problems:
        return Check("forms", FAIL, f"the shipped catalogue {SHIPPED} has {len(shipped_problems)} problem(s): "
                                    f"{shipped_problems[0]}", "reinstall the kiosk software")
    cache = FormCatalogueCache(t.config.data_dir)  # reads what the office last sent; writes nothing
    if override:
        catalogue, problems = load_catalogue(override=override)
        if problems:
            kept = cache.current()
            return Check("forms", WARN, f"{override} has {len(problems)} problem(s), first: {problems[0]}; the kiosk "
                                        f"shows the last good catalogue ({len(kept.forms)} forms)",
                         f"kiosk forms check {override} lists every problem with its line")
        source = f"shipped + {override}"
    else:
        catalogue = cache.current()
        source = "shipped" + (f" + the office's ({cache.source})" if cache.source else "")
    shown = f"{len(catalogue.forms)} forms in {len(catalogue.categories)} categories ({source})"
    pages = [form for form in catalogue.forms if form.url_is_page]
    if len(pages) > PAGE_ONLY_FORMS_WARN:
        titles = "、".join(form.title for form in pages[:3]) + ("…" if len(pages) > 3 else "")
        where = (f"on the office server's forms page ({t.config.server.url.rstrip('/')}/forms)" if t.config.server.url
                 else "on the office server's forms page (/forms)")
        return Check("forms", WARN, f"{shown}; {len(pages)} of them only open a web page, where the resident must "
                                    f"search for the form ({titles})",
                     f"{where}, give each the address of its file or upload the file; or in the forms override "
                     "(forms.file)")
    return Check("forms", PASS, shown)


@lru_cache(maxsize=4)
def _face(path: str, _stamp: Tuple[int, int], with_cmap: bool) -> Tuple[str, frozenset]:
    """A font file's family name, and the code points it has glyphs for (a CJK cmap takes 0.2 s: kept)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return font["name"].getDebugName(1), frozenset(font.getBestCmap()) if with_cmap else frozenset()


def check_fonts(t: SelfTest) -> Check:
    from ..errors import FontError
    from ..fonts import FAMILY, font_files

    try:
        paths = font_files(build=False)
    except FontError as exc:
        return Check("fonts", FAIL, str(exc), "run 'kiosk fonts build' (needs Debian's fonts-noto-cjk)")
    wanted = set(t.config.kiosk.office + "".join(c.label for c in t.scale.choices) + "戶所意度")
    for style, path in paths.items():
        stat = path.stat()
        family, glyphs = _face(str(path), (stat.st_mtime_ns, stat.st_size), style == "regular")
        if family != FAMILY:
            return Check("fonts", FAIL, f"{path} is {family!r}, not {FAMILY!r}", "run 'kiosk fonts build'")
        missing = "".join(sorted(c for c in wanted if c.strip() and ord(c) not in glyphs)) if glyphs else ""
        if missing:
            return Check("fonts", FAIL, f"{path.name} has no glyph for {missing}",
                         "run 'kiosk fonts build' from Debian's fonts-noto-cjk")
    folder = paths["regular"].parent
    thai = _thai_problem()
    if thai:
        return Check("fonts", FAIL, thai, "run 'kiosk fonts build' (needs Debian's fonts-noto-core), and a Pillow "
                                          "built with libraqm (the PyPI wheels are)")
    return Check("fonts", PASS, f"{FAMILY} regular and bold in {folder}; Noto Sans Thai, shaped by HarfBuzz")


def _thai_problem() -> str:
    """What stops the Thai screens and tickets from being drawn right, or ""."""
    from PIL import features

    from ..errors import FontError
    from ..fonts import fallback_files

    try:
        fallback_files()
    except FontError as exc:
        return str(exc)
    if not features.check("raqm"):
        return "Pillow has no libraqm: Thai would be drawn unshaped (tone marks on the vowels, not above them)"
    return ""

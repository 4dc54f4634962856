"""
Screens built when first asked for
==================================

Every screen costs memory the moment it exists, shown or not: its widgets,
a texture per label, and (the big one) a FreeType face of the 16 MB CJK
font for every distinct (font, size) its labels use, about 2.5 MB each
(``kiosk bench startup`` prints the breakdown).  Most screens (the
thank-you, the form's QR code, the staff screens...) are seldom or never
seen on a given day, so :class:`LazyScreenManager` holds a *factory* per
screen name and builds the screen the first time anything asks for it:
``get_screen(name)`` (what the app and the tests call), ``current = name``
(Kivy's ``on_current`` goes through ``get_screen``) or ``has_screen``
(answers for unbuilt screens too).  Once built, a screen stays.

:func:`release_free_memory` gives the C heap's free pages back to the
system.  Showing or building a screen, or switching the language, re-renders
labels: the old textures and glyph surfaces are freed, but glibc keeps the
pages (5-10 MB after a round of the screens in both languages), so the app
calls it a tenth of a second after any of these (about 1 ms, 5 at most).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
from typing import Callable, Dict, Iterable, List, Tuple

from kivy.uix.screenmanager import Screen, ScreenManager

__all__ = ["LazyScreenManager", "release_free_memory"]


class LazyScreenManager(ScreenManager):
    """A ScreenManager whose screens are built on first use, from ``factories`` (name -> callable)."""

    def __init__(self, factories: Iterable[Tuple[str, Callable[[], Screen]]] = (), **kwargs):
        self._factories: Dict[str, Callable[[], Screen]] = {}
        #: (screen name, seconds to build it), in the order they were built: the bench reports it.
        self.built: List[Tuple[str, float]] = []
        self.on_build: List[Callable[[str, Screen], None]] = []  # listeners, e.g. the bench's memory marks
        super().__init__(**kwargs)
        for name, factory in factories:
            self.add_factory(name, factory)

    def add_factory(self, name: str, factory: Callable[[], Screen]) -> None:
        if name in self._factories or ScreenManager.has_screen(self, name):
            raise ValueError(f"screen {name!r} is already there")
        self._factories[name] = factory

    def is_built(self, name: str) -> bool:
        return ScreenManager.has_screen(self, name)

    @property
    def unbuilt(self) -> List[str]:
        """Names of the screens not built yet."""
        return list(self._factories)

    def build_screen(self, name: str) -> Screen:
        """Build the screen ``name`` now if it is not built yet; return it."""
        factory = self._factories.get(name)
        if factory is None:
            return ScreenManager.get_screen(self, name)
        started = time.perf_counter()
        screen = factory()
        if screen.name != name:
            raise ValueError(f"the factory for screen {name!r} built a screen named {screen.name!r}")
        del self._factories[name]  # only now: a factory that failed can be tried again
        self.add_widget(screen)
        self.built.append((name, time.perf_counter() - started))
        for listener in self.on_build:
            listener(name, screen)
        return screen

    def get_screen(self, name):
        if name in self._factories:
            return self.build_screen(name)
        return super().get_screen(name)

    def has_screen(self, name):
        return name in self._factories or super().has_screen(name)


def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system (glibc's ``malloc_trim``); False where there is none.

    A few milliseconds; nothing is freed that is in use.
    """
    if _trim is None:
        return False
    _trim(0)
    return True


"""
The voice guide
===============

For a resident who cannot see the screen (EN 301 549, 5.1.3: speech output
for closed functionality).  Holding any rating button for
``speech.hold_seconds`` starts it; from then on the kiosk says where the
resident is and each choice, and the rating buttons move through the
choices instead of rating: the left one goes back (``previous``), the middle
one chooses (``choose``), the right one goes on (``next``); with five
buttons the two on each side do the same.  Holding a button again repeats
the instructions.

:class:`VoiceGuide` is the guide's state and what it says, with no screen:
a *place* (what the screen is, what just happened there) and its
*choices*, each a text and what choosing it does.  The Kivy side
(``kiosk/ui/voice.py``) finds a screen's choices among its buttons and
chooses one as a tap would, so the guide can never do what the screen
cannot.  Everything said goes through :class:`~kiosk.speech.Speech`, which
logs it on ``kiosk.speech``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from .i18n import messages
from .speech import Speech

__all__ = ["VoiceGuide", "Choice", "button_roles", "spelled", "sentences", "ticket_speech"]

log = logging.getLogger("kiosk.voice")


def button_roles(count: int) -> Tuple[str, ...]:
    """What each of ``count`` rating buttons (best first, left to right) does in the guide.

    The middle one chooses; those left of it go back, those right of it go on.  An even number of buttons
    has no middle: the guide needs an odd one (the kiosk's scales have 3 or 5).
    """
    if count < 3 or count % 2 == 0:
        raise ValueError(f"the voice guide needs 3 or 5 buttons (a middle one to choose), not {count}")
    middle = count // 2
    return tuple("previous" if i < middle else "choose" if i == middle else "next" for i in range(count))


def spelled(label: str) -> str:
    """``A012`` as ``A 0 1 2``: each character said on its own, as the counters' voice calls a number."""
    return " ".join(label)


def sentences(parts: Sequence[str], lang: str) -> str:
    """``parts`` said as sentences: each ends with a stop (。 in Chinese), so the voice pauses between them."""
    stop = "。" if lang == "zh-TW" else "."
    ended = [part if part[-1] in ".。!！?？:：…" else part + stop for part in (p.strip() for p in parts) if part]
    return ("" if lang == "zh-TW" else " ").join(ended)


def ticket_speech(lang: str, label: str, service: str, ahead: Optional[int], estimate: str = "") -> str:
    """What the printed ticket says, to be heard (EN 301 549, 5.1.3.16): number, service, people ahead,
    estimated wait (``3–8`` minutes, '' when not known), and where the ticket comes out."""
    text = messages(lang).text
    parts = [f"{text('ticket.your_number')}: {spelled(label)}", service]
    if ahead is not None:
        parts.append(text("ticket.people_ahead", count=ahead))
    if estimate:
        parts.append(text("ticket.estimate", minutes=estimate.replace("–", " - ")))
    parts.append(text("ticket.take_it"))
    return sentences(parts, lang)


@dataclass(frozen=True)
class Choice:
    """One thing the resident can choose: what is said, and what choosing it does.

    ``lang``: the language it is said in when it is not the guide's (a language's own name: Tiếng Việt
    said by the Vietnamese voice, whatever the screen's language).
    """

    text: str
    act: Callable[[], None]
    lang: Optional[str] = None


class VoiceGuide:
    """Where the resident is and what they hear; the buttons' presses move through the choices."""

    def __init__(self, speech: Speech, roles: Sequence[str]):
        self.speech = speech
        self.roles = tuple(roles)
        self.active = False
        self.lang = "zh-TW"
        self.choices: List[Choice] = []
        self.position = 0

    def start(self, lang: str) -> None:
        """The guide starts (a button held): the instructions, in the screen's language."""
        self.active = True
        self.lang = lang
        log.info("voice guide started")
        self.say(messages(lang).text("voice.start"))

    def stop(self) -> None:
        """Off: said, then the volume back to the office's for the next resident."""
        if not self.active:
            return
        self.say(messages(self.lang).text("voice.stopped"))
        self.active = False
        self.choices = []
        log.info("voice guide stopped")

    def end(self) -> None:
        """The resident left (the idle timeout): off, silently, volume reset (Section 508: after each user)."""
        self.active = False
        self.choices = []
        self.speech.reset()
        log.info("voice guide ended: back to the office's volume")

    def show(self, lang: str, place: str, choices: Sequence[Choice], news: str = "", cut: bool = True) -> None:
        """A new place: where the resident is, what it says or what just happened (``news``), how many choices,
        the first one.

        ``cut`` False: said after what is being said (the instructions, when the guide starts) rather than
        over it.
        """
        self.lang = lang
        self.choices = list(choices)
        self.position = 0
        said = [place, news]
        if self.choices:
            said.append(messages(lang).text("voice.where", count=len(self.choices)))
        self.say(sentences(said, lang), cut=cut)
        if self.choices:
            self.say_choice(cut=False)

    def say_choice(self, cut: bool = True) -> None:
        if self.choices:
            choice = self.choices[self.position]
            self.say(choice.text, choice.lang, cut=cut)

    def say(self, text: str, lang: Optional[str] = None, cut: bool = True) -> None:
        self.speech.say(text, lang or self.lang, cut=cut)

    def press(self, index: int) -> None:
        """A rating button pressed while the guide runs: previous, choose or next (``button_roles``)."""
        role = self.roles[index] if 0 <= index < len(self.roles) else None
        if not self.choices or role is None:
            self.say(messages(self.lang).text("voice.start"))  # nothing to choose here: how the buttons work
            return
        if role == "choose":
            choice = self.choices[self.position]
            log.info("voice guide: chose %r", choice.text)
            choice.act()
            return
        step = -1 if role == "previous" else 1
        self.position = (self.position + step) % len(self.choices)  # round again, past either end
        self.say_choice()

"""
What the kiosk says
===================

Every utterance is logged on ``kiosk.speech`` (``[vi] Số A105...``), so a
test and a technician can follow what a blind resident heard, and handed to
the speaker (``hardware/speech.py``, espeak-ng) in the voice of the
resident's language.  espeak-ng has no Filipino voice: a Filipino resident
hears the English text (English is an official language of the
Philippines; a Filipino text read by the English voice would not be).

The volume is ``speech.volume`` percent of espeak-ng's loudest; a resident
may turn it up or down, and :meth:`Speech.reset` brings it back for the next
one (Section 508: volume reset after each user).

The voice guide (``kiosk/voice_guide.py``) says everything through this.
"""

from __future__ import annotations

import logging
from .i18n import ZWSP

__all__ = ["Speech", "VOICES", "spoken_language"]

log = logging.getLogger("kiosk.speech")

#: espeak-ng's voice for each language the kiosk speaks in its own voice.
VOICES = {"zh-TW": "cmn", "en": "en", "vi": "vi", "id": "id", "th": "th"}
VOLUME_STEP = 15


def spoken_language(lang: str) -> str:
    """The language a resident of ``lang`` hears: their own, or English where espeak-ng has no voice."""
    return lang if lang in VOICES else "en"


class Speech:
    """Says the kiosk's messages: logged, then spoken at the resident's volume."""

    def __init__(self, speaker=None, volume: int = 80):
        self.speaker = speaker  # hardware.speech.Speaker, or None: logged only
        self.default_volume = self.volume = max(0, min(100, volume))

    def say(self, text: str, lang: str, cut: bool = True) -> None:
        """Say ``text``, written in ``spoken_language(lang)`` (ask the catalogue in that language).

        It cuts short whatever is being said, unless ``cut`` is False: then it follows it.
        """
        lang = spoken_language(lang)
        text = " ".join(text.replace(ZWSP, "").split())  # one line; Thai's word marks are not read
        log.info("[%s] %s", lang, text)
        if self.speaker is not None:
            self.speaker.say(text, VOICES[lang], amplitude=self.volume * 2, cut=cut)

    def louder(self) -> int:
        self.volume = min(100, self.volume + VOLUME_STEP)
        return self.volume

    def softer(self) -> int:
        self.volume = max(10, self.volume - VOLUME_STEP)  # never silent by accident
        return self.volume

    def close(self) -> None:
        if self.speaker is not None:
            self.speaker.close()

    def reset(self) -> None:
        """The next resident's start: the office's volume, nothing still being said."""
        self.volume = self.default_volume
        if self.speaker is not None:
            self.speaker.stop_current()

"""
Speech through the Pi's audio output
====================================

A blind resident cannot bring a screen reader to a closed kiosk, so the
kiosk speaks (EN 301 549, 5.1.3).  It speaks offline with Debian's
``espeak-ng``, which has Mandarin (``cmn``), English, Vietnamese, Indonesian
and Thai voices: robotic, but intelligible, and nothing to download.

:class:`Speaker` says one utterance at a time, in a worker thread, through
the default audio device (the Pi's jack or HDMI); a new utterance cuts the
one being said short, because a resident pressing "next" must not wait for
the end of the previous choice.  ``wav_dir`` writes each utterance to a
numbered WAV file instead of playing it: for tests, and for a technician to
listen to on a laptop.  Without ``espeak-ng`` the speaker says why, once,
and stays silent rather than stop the kiosk.

What is said, in which language and at which volume is the kiosk's
(``kiosk/speech.py``); this module only makes the sound.
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import threading
from pathlib import Path
from typing import List, Optional, Union

__all__ = ["Speaker", "COMMAND", "audio_output_present"]

log = logging.getLogger("hardware.speech")

COMMAND = "espeak-ng"
_STOP = object()


def audio_output_present(cards: Union[str, Path] = "/proc/asound/cards") -> bool:
    """Whether the machine has a sound card (ALSA lists none as ``--- no soundcards ---``): a simulated kiosk
    on a laptop speaks, one on a headless build machine only logs what it would say."""
    try:
        listed = Path(cards).read_text(errors="replace")
    except OSError:
        return False
    return bool(listed.strip()) and "no soundcards" not in listed


class Speaker:
    """Speaks text with espeak-ng, one utterance at a time, the newest cutting the last short."""

    def __init__(self, command: str = COMMAND, wav_dir: Optional[Union[str, Path]] = None):
        self.command = shutil.which(command)
        if self.command is None:
            log.warning("%s is not installed: the kiosk cannot speak (apt-get install espeak-ng)", command)
        self.wav_dir = Path(wav_dir) if wav_dir else None
        self.written: List[Path] = []  # the WAV files of wav_dir, in the order they were said
        self._queue: "queue.Queue" = queue.Queue()
        self._current: Optional[subprocess.Popen] = None
        self._lock = threading.Lock()
        self._done = threading.Condition()
        self._pending = 0  # utterances asked for and not yet said (or dropped): 0 is idle
        self._thread = threading.Thread(target=self._run, name="speaker", daemon=True)
        self._thread.start()

    @property
    def available(self) -> bool:
        return self.command is not None

    def say(self, text: str, voice: str, amplitude: int = 100, cut: bool = True) -> None:
        """Say ``text`` with espeak-ng's ``voice`` (``cmn``, ``en``, ``vi``...) at ``amplitude`` (0-200).

        Returns at once; whatever is being said or waits to be is cut short, unless ``cut`` is False: then
        it is said after them (the second part of one message, such as the first choice after a place).
        """
        with self._done:
            self._pending += 1
        if cut:
            self._drop_waiting()
            self.stop_current()
        self._queue.put((text, voice, max(0, min(200, int(amplitude)))))

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Until nothing is being said or waits to be (for tests and the command line)."""
        with self._done:
            return self._done.wait_for(lambda: self._pending == 0, timeout)

    def _finished(self, count: int = 1) -> None:
        with self._done:
            self._pending -= count
            self._done.notify_all()

    def stop_current(self) -> None:
        with self._lock:
            if self._current is not None and self._current.poll() is None:
                self._current.terminate()

    def close(self) -> None:
        self._drop_waiting()
        self.stop_current()
        self._queue.put(_STOP)
        self._thread.join(5)

    def _drop_waiting(self) -> None:
        try:
            while True:
                if self._queue.get_nowait() is not _STOP:
                    self._finished()
        except queue.Empty:
            pass

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                self._speak(*item)
            except OSError as exc:  # the device or the program went away: log, keep the kiosk going
                log.warning("could not speak: %s", exc)
            finally:
                self._finished()

    def _speak(self, text: str, voice: str, amplitude: int) -> None:
        if self.command is None:
            return
        args = [self.command, "-v", voice, "-a", str(amplitude)]
        if self.wav_dir is not None:
            self.wav_dir.mkdir(parents=True, exist_ok=True)
            path = self.wav_dir / f"{len(self.written) + 1:04d}-{voice}.wav"
            args += ["-w", str(path)]
        with self._lock:
            self._current = subprocess.Popen(args + ["--", text], stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE)
            process = self._current
        _out, err = process.communicate()
        if process.returncode not in (0, -15):  # -15: cut short by a newer utterance
            log.warning("%s -v %s failed (%s): %s", self.command, voice, process.returncode,
                        err.decode(errors="replace").strip()[:200])
        elif self.wav_dir is not None and process.returncode == 0:
            self.written.append(path)

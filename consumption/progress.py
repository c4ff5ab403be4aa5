"""One progress line on stderr for long work: reading big files, many passes, LP blocks.

The line is rewritten in place (``\\r``), so a ten-million-lot run shows where it
is without scrolling the terminal. It is shown only where someone can watch it:
``show=None`` (the default everywhere) means "when stderr is a terminal", so
pipes, log files, CI and the test suite see nothing. Work that ends within
``delay`` seconds never prints, so small runs stay quiet on a terminal too.

>>> import io
>>> out = io.StringIO()
>>> with Progress("pass", total=2, show=True, stream=out, delay=0) as bar:
...     bar.step()
...     bar.step()
>>> "pass 2/2" in out.getvalue()
True
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

_BAR = 20
# Redraws closer together than this are skipped: a line per pass of a 10M-lot run is
# cheap, but thousands of LP blocks or reader stages should not flood a slow terminal.
_MIN_INTERVAL_S = 0.05


def wanted(show: bool | None, stream: TextIO | None = None) -> bool:
    """Whether to draw: ``show`` when given, else whether ``stream`` is a terminal."""
    if show is not None:
        return show
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Progress:
    """``LABEL 3/10 [######    ] 1.2 s  note`` on one line, updated in place.

    ``total`` may be None when the amount of work is not known in advance (the
    line then shows a count without a bar). ``keep`` leaves the last line on the
    terminal when done (the LP's block count is worth keeping); otherwise it is
    erased, so the command's own report starts on a clean line.
    """

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        show: bool | None = None,
        stream: TextIO | None = None,
        delay: float = 0.5,
        keep: bool = False,
    ) -> None:
        self.label, self.total, self.keep = label, total, keep
        self.stream = stream if stream is not None else sys.stderr
        self.show = wanted(show, self.stream)
        # An explicit request shows at once; an automatic one waits out short work.
        self.delay = 0.0 if show else delay
        self.count = 0
        self.note_ = ""
        self.start = time.perf_counter()
        self._drawn_at: float | None = None
        self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.done()

    def step(self, count: int = 1, note: str | None = None) -> None:
        """``count`` more units of work are done."""
        self.count += count
        if note is not None:
            self.note_ = note
        self._draw(final=self.total is not None and self.count >= self.total)

    def note(self, text: str) -> None:
        """Say what is being done now, without counting a unit (e.g. a reader's stage)."""
        self.note_ = text
        self._draw(final=False)

    def done(self) -> None:
        """Finish the line: keep it (with a line break) or erase it."""
        if self._drawn_at is None:
            return
        if self.keep:
            self._draw(final=True)
            self._write("\n")
        else:
            self._write("\r" + " " * self._width + "\r")
        self._drawn_at = None

    def text(self) -> str:
        """The line as it is drawn now."""
        elapsed = time.perf_counter() - self.start
        parts = [self.label]
        if self.total:
            filled = _BAR * min(self.count, self.total) // self.total
            parts.append(f"{self.count}/{self.total} [{'#' * filled:<{_BAR}}]")
        elif self.count:
            parts.append(str(self.count))
        parts.append(f"{elapsed:.1f} s")
        if self.note_:
            parts.append(self.note_)
        return " ".join(parts)

    def _draw(self, final: bool) -> None:
        if not self.show:
            return
        now = time.perf_counter()
        if now - self.start < self.delay:
            return
        if not final and self._drawn_at is not None and now - self._drawn_at < _MIN_INTERVAL_S:
            return
        line = self.text()
        pad = max(0, self._width - len(line))
        self._write("\r" + line + " " * pad)
        self._width = len(line)
        self._drawn_at = now

    def _write(self, text: str) -> None:
        self.stream.write(text)
        self.stream.flush()

"""Lines typed at the terminal (or piped in), for the plain dashboard: read in a thread, so that the
agent's updates keep printing while nobody types.

The thread reads the file descriptor with `os.read`, not `sys.stdin`: a daemon thread blocked in a
buffered read would hold the buffer's lock when the interpreter shuts down.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import sys
import threading
from collections.abc import Iterator

from synctui.text import visible

READ_SIZE = 4096


class TypedLines:
    """The lines of file descriptor `fd`, one `await next()` each; None once the input has ended."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._ended = False
        self._thread: threading.Thread | None = None
        self._prompt: str | None = None  # shown and waiting for a line

    @property
    def interactive(self) -> bool:
        """A person types at a terminal (not a script piped in)."""
        return os.isatty(self.fd)

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._thread = threading.Thread(target=self._read, args=(loop,), name="typed lines", daemon=True)
        self._thread.start()

    def _read(self, loop: asyncio.AbstractEventLoop) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(self.fd, READ_SIZE)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            if not chunk:
                lines += [pending] if pending else []
            for line in lines:
                if not self._hand_over(loop, line.rstrip("\r")):
                    return
            if not chunk:
                self._hand_over(loop, None)
                return

    def _hand_over(self, loop: asyncio.AbstractEventLoop, line: str | None) -> bool:
        """Give a line to the loop; False when the loop has ended (nobody reads any more)."""
        try:
            loop.call_soon_threadsafe(self._queue.put_nowait, line)
        except RuntimeError:
            return False
        return True

    async def next(self, prompt: str = "> ") -> str | None:
        """The next line (without its line break) after showing `prompt`; None at the end of input.
        Input that is not a terminal does not echo: the line is printed after the prompt, so that the
        transcript reads as it was typed."""
        line = await self._line(prompt)
        if line is not None and not self.interactive:
            print(visible(line))
        return line

    async def _line(self, prompt: str) -> str | None:
        if self._ended:
            return None
        print(prompt, end="", flush=True)
        self._prompt = prompt
        try:
            line = await self._queue.get()
        finally:
            self._prompt = None
        if line is None:
            self._ended = True
            print()
        return line

    def interrupt(self) -> None:
        """Before printing while a prompt waits: end its line."""
        if self._prompt:
            print()

    def prompt_again(self) -> None:
        """After printing while a prompt waits: show it again."""
        if self._prompt:
            print(self._prompt, end="", flush=True)

    async def secret(self, prompt: str) -> str | None:
        """Like `next`, but what is typed is never shown: not echoed by a terminal, not printed."""
        with _no_echo(self.fd):
            line = await self._line(prompt)
        if line is not None:
            print()
        return line


@contextlib.contextmanager
def _no_echo(fd: int) -> Iterator[None]:
    if not os.isatty(fd) or sys.platform == "win32":
        yield
        return
    import termios

    before = termios.tcgetattr(fd)
    quiet = list(before)
    quiet[3] &= ~termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, quiet)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, before)

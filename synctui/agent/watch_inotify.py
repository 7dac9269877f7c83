"""The Linux file watcher: inotify's descriptor in the event loop, so an idle agent is never woken by it.

Each folder that holds a watched file is watched (not the file: a database replaced by rename over it,
or one that does not exist yet, is still seen). A folder that does not exist yet is waited for on its
nearest existing ancestor, for the one name on the way to it; a watched folder that is deleted or moved
away falls back the same way, and a folder that (re)appears is watched again. Any such re-arming wakes
every service: files may have come or gone with the folder, and the refresh says what is there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from inotify_simple import INotify, flags

from synctui.agent.watch import Wakeable

log = logging.getLogger(__name__)

# What changes a file in a watched folder: written in place, closed, created, renamed in or out, removed.
FILE_EVENTS = (
    flags.MODIFY | flags.CLOSE_WRITE | flags.CREATE | flags.MOVED_TO | flags.MOVED_FROM | flags.DELETE
)
# What ends a watch: the watched folder itself deleted, moved, or its filesystem unmounted.
GONE = flags.DELETE_SELF | flags.MOVE_SELF | flags.IGNORED | flags.UNMOUNT
# On an ancestor of a missing folder: the next name on the way to it created or renamed in.
APPEARS = flags.CREATE | flags.MOVED_TO
# A write in place is MODIFY events, then CLOSE_WRITE, and the loop may read them in two batches while
# the writer is still at it: waking on each batch refreshed (and pushed) twice per write, the first time
# maybe on a half-written file. A file modified and not yet closed is waited for, until it is closed or
# for this long without a further event (SQLite keeps its files open), before its services are woken.
SETTLE = 0.005  # seconds


class InotifyWatcher:
    """Watches the folders of `targets` (file path -> services to wake when that file changes)."""

    def __init__(self, targets: Mapping[str, Sequence[Wakeable]]) -> None:
        self.targets = targets
        self.folders = sorted({os.path.dirname(p) for p in targets})
        self.inotify = INotify(nonblocking=True)
        self.watching: dict[int, str] = {}  # watch descriptor -> folder watched for files
        self.waiting: dict[int, set[str]] = {}  # watch descriptor of an ancestor -> names awaited in it
        self.to_wake: dict[int, Wakeable] = {}  # services whose files changed, by id, not woken yet
        self.writing: set[str] = set()  # files modified and not closed since
        self._settled: asyncio.TimerHandle | None = None
        self.arm()

    def fileno(self) -> int:
        return self.inotify.fileno()

    def arm(self) -> None:
        """(Re)place the watches; loops while a folder appears between looking and watching."""
        for wd in [*self.watching, *self.waiting]:
            with contextlib.suppress(OSError):  # already gone with its folder
                self.inotify.rm_watch(wd)
        self.watching.clear()
        self.waiting.clear()
        masks: dict[str, int] = {}
        awaited: dict[str, set[str]] = {}
        missing = [f for f in self.folders if not os.path.isdir(f)]
        for folder in self.folders:
            if os.path.isdir(folder):
                masks[folder] = masks.get(folder, 0) | FILE_EVENTS | GONE
                continue
            ancestor, name = _nearest_existing(folder)
            masks[ancestor] = masks.get(ancestor, 0) | APPEARS | GONE
            awaited.setdefault(ancestor, set()).add(name)
        for path, mask in masks.items():
            try:
                wd = self.inotify.add_watch(path, mask | flags.ONLYDIR)
            except OSError as exc:  # removed meanwhile, or no permission: said, and tried again on an event
                log.warning(
                    "cannot watch %s (%s); refreshing on the interval only until it appears", path, exc
                )
                continue
            if mask & FILE_EVENTS:
                self.watching[wd] = path
            if path in awaited:
                self.waiting[wd] = awaited[path]
        if any(os.path.isdir(f) for f in missing):
            self.arm()  # a folder appeared while the watches were being placed

    def read(self) -> None:
        """Handle what the descriptor holds now (called by the event loop when it is readable): the
        services of the files changed are woken at once, or once the files being written are closed or
        quiet for SETTLE seconds."""
        rearm = False
        for event in self.inotify.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                rearm = True  # events were lost: the kernel's queue was full
                continue
            if event.mask & GONE and (event.wd in self.watching or event.wd in self.waiting):
                rearm = True
                continue
            if event.wd in self.waiting and event.mask & APPEARS and event.name in self.waiting[event.wd]:
                rearm = True
            folder = self.watching.get(event.wd)
            path = os.path.join(folder, event.name) if folder is not None and event.name else None
            if path in self.targets:
                self.to_wake.update((id(service), service) for service in self.targets[path])
                if event.mask & flags.MODIFY:
                    self.writing.add(path)
                else:
                    self.writing.discard(path)  # closed, replaced or removed: whole, whatever it holds
        if rearm:
            self.arm()
            self.to_wake.update((id(s), s) for services in self.targets.values() for s in services)
            self.writing.clear()
        if self._settled is not None:
            self._settled.cancel()
            self._settled = None
        if self.writing:
            self._settled = asyncio.get_running_loop().call_later(SETTLE, self.wake)
        else:
            self.wake()

    def wake(self) -> None:
        """Wake the services whose files changed, once each."""
        self._settled = None
        self.writing.clear()
        to_wake, self.to_wake = self.to_wake, {}
        for service in to_wake.values():
            service.wake()

    def close(self) -> None:
        if self._settled is not None:
            self._settled.cancel()
        self.inotify.close()


def _nearest_existing(folder: str) -> tuple[str, str]:
    """The deepest existing ancestor of a missing folder, and the name under it on the way there."""
    path = Path(folder)
    while not path.parent.is_dir() and path.parent != path:
        path = path.parent
    return str(path.parent), path.name


async def watch_inotify(targets: Mapping[str, Sequence[Wakeable]], stop: asyncio.Event | None) -> None:
    watcher = InotifyWatcher(targets)
    loop = asyncio.get_running_loop()
    loop.add_reader(watcher.fileno(), watcher.read)
    try:
        await (stop.wait() if stop is not None else loop.create_future())
    finally:
        loop.remove_reader(watcher.fileno())
        watcher.close()

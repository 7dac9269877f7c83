"""synctui santedb backend plugin."""

from synctui.hookspecs import hookimpl  # noqa: F401

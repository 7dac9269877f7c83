"""synctui hcm backend plugin."""

from synctui.hookspecs import hookimpl  # noqa: F401

"""An e2e plugin that cannot be imported (a missing dependency, as happens in the field)."""

raise ImportError("synctui_e2e_import_error needs the 'frobnicate' library (pip install frobnicate)")

"""`python -m synctui.cli` (what the end-to-end tests and benchmarks run)."""

from synctui.cli import main

raise SystemExit(main())

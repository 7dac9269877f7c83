"""The `synctui` command (and `python -m synctui`): the command line, started with the cyclic collector
paused.

Importing the command line, the model and Textual allocates enough to trigger dozens of collections that
each walk what start-up built (≈ 4 ms before the command line is even read). `synctui.cli.main` resumes
the collector for every verb but the full-screen dashboard, which resumes it after its first frame.
"""

import gc


def run() -> int:
    gc.disable()
    from synctui.cli import main

    return main()


if __name__ == "__main__":
    raise SystemExit(run())

"""The on-device agent: refreshes backends, keeps state and history, serves the API.

It never imports Textual: it must stay light enough to run all day on a low-spec terminal.
"""

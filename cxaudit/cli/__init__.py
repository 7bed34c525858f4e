"""The command line (Typer): it parses arguments, calls the library, renders
and maps errors to exit codes. Loading it imports no pandas or pyarrow, so
``cxaudit --help`` is instant; the commands import what they need when run.

:mod:`.app` holds the app, the shared options and the error-to-exit-code
mapping; :mod:`.commands` one module per command; :mod:`.progress`,
:mod:`.summary` and :mod:`.console` render.
"""

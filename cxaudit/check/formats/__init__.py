"""Output formats of ``cxaudit check``: one small renderer per format.

Each renderer has one method, ``render(run) -> str``; the CLI picks them by
name from :data:`NAMES` (several per run: ``--format github --format
junit=junit.xml``). All of them render the same :class:`CheckRun`, and
``json`` is exactly :func:`check_dict`, the library's result as data.

A file that could not be read is an error in every format: a JUnit
``<error>``, an ``::error`` annotation on that file, a SARIF result, an entry
in JSON and Markdown, a line in text.

One module per format (:mod:`~cxaudit.check.formats.plain` for text and json,
:mod:`~cxaudit.check.formats.junit`, :mod:`~cxaudit.check.formats.github`,
:mod:`~cxaudit.check.formats.markdown`, :mod:`~cxaudit.check.formats.sarif`); what
they share is in :mod:`~cxaudit.check.formats.common`. A new format is a class
with ``render``, its name in :data:`NAMES` and an entry in
:data:`~cxaudit.check.formats.registry.RENDERERS`.
"""

# The format names, for the command line to offer and check without loading
# the renderers (or pandas): the one list, which the registry follows.
NAMES = ("text", "json", "junit", "github", "markdown", "sarif")

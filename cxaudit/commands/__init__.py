"""The ``cxaudit`` commands, one module each: the command's options, its
help and what it does with the core's result.

Each module registers its command on :data:`cxaudit.cli.app`, which holds
what the commands share (the options, ``_guard``'s exit codes, the core's
request); cxaudit.cli imports the modules in the order ``--help`` lists
them. Importing this package imports cxaudit.cli first, so a command module
can be imported on its own.
"""

import cxaudit.cli  # noqa: F401

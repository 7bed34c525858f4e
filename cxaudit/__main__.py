"""Allow ``python -m cxaudit``."""

from cxaudit.cli import main

main()

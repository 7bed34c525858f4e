"""Allow ``python -m cxaudit``."""

from cxaudit.cli.main import main

main()

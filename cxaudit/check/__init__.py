"""``cxaudit check``: many campaign files at once (:mod:`.run`), the ones a
git change touched (:mod:`.changes`), and the CI output formats
(:mod:`.formats`)."""

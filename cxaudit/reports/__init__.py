"""The run's reports: :mod:`.build` (report.json and report.md),
:mod:`.html` (report.html, from ``templates/``) and :mod:`.baseline`
(the comparison with an earlier run)."""

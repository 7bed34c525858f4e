"""The run's reports: :mod:`.build` (report.json and the wording both reports
share), :mod:`.markdown` (report.md), :mod:`.html` (report.html, from
``templates/``) and :mod:`.baseline` (the comparison with an earlier run)."""

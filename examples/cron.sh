#!/usr/bin/env bash
# Nightly cxaudit run: a dated output folder, compared with the previous run.
#
#   crontab:  15 2 * * *  cd /srv/cxaudit && examples/cron.sh >> /var/log/cxaudit.log 2>&1
#
# Settings (environment): CAMPAIGN, RULES, RUNS (where dated folders go),
# AS_OF (default: now). Exit codes: 0 done, 2 bad input (the previous outputs
# and the "latest" link are left as they were; cron mails the log).
set -u

CAMPAIGN=${CAMPAIGN:-sample_data/campaign.csv}
RULES=${RULES:-rules.yaml}
RUNS=${RUNS:-cxaudit-runs}
AS_OF=${AS_OF:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
day=${AS_OF:0:10}

args=(audit "$CAMPAIGN" --rules "$RULES" --as-of "$AS_OF" --out "$RUNS/{date}" --wait 600 --quiet)
if [ -d "$RUNS/latest" ] && [ "$(readlink "$RUNS/latest")" != "$day" ]; then
  # (a second run on the same day would compare today's folder with itself,
  # and cxaudit refuses to replace files it reads)
  args+=(--baseline "$RUNS/latest")
fi

cxaudit "${args[@]}"
status=$?

case $status in
  0)
    ln -sfn "$day" "$RUNS/latest"
    echo "cxaudit: $RUNS/$day written; $RUNS/latest points at it"
    ;;
  *)
    echo "cxaudit: run failed with exit $status; previous outputs kept" >&2
    ;;
esac
exit $status

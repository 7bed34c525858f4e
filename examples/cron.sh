#!/usr/bin/env bash
# Nightly cxaudit run: one folder per run, named by its moment, compared with
# the most recent earlier run; old runs pruned.
#
#   crontab:  15 2 * * *  cd /srv/cxaudit && examples/cron.sh >> /var/log/cxaudit.log 2>&1
#
# Settings (environment):
#   CAMPAIGN  the list to audit (default sample_data/campaign.csv)
#   RULES     the rules file (default rules.yaml)
#   RUNS      where run folders go (default cxaudit-runs)
#   AS_OF     the moment judged, YYYY-MM-DDTHH:MM:SSZ (default: now, UTC)
#   RETAIN    how many run folders to keep (default 14; 0 keeps them all)
#   WAIT      seconds to wait for another run holding the folder (default 600)
#
# Each run writes RUNS/2026-11-20T021500Z (the moment, as cxaudit's {datetime}).
# Its baseline is the most recent earlier run that finished (a folder with a
# suppressed.csv whose name sorts before this one's), named by its real folder
# so report.json says which night it compared with. RUNS/latest points at the
# newest run that finished with exit 0.
#
# Exit codes, passed on so cron (or systemd, or a scheduler) can act:
#   0   done: RUNS/latest moved, old runs pruned
#   1   not used by audit (it is check's "violations found"); treated as a failure
#   2   bad input or rules: nothing written, latest and earlier runs untouched
#   3   over the rules' max_suppressed ceiling: the run folder holds the reports
#       (why), not the lists; latest stays on the last good run
#   75  another run holds the folder (EX_TEMPFAIL): try again later
set -u
shopt -s nullglob

CAMPAIGN=${CAMPAIGN:-sample_data/campaign.csv}
RULES=${RULES:-rules.yaml}
RUNS=${RUNS:-cxaudit-runs}
AS_OF=${AS_OF:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}
RETAIN=${RETAIN:-14}
WAIT=${WAIT:-600}

log() { echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) cron.sh: $*" >&2; }

moment='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
if ! [[ $AS_OF =~ $moment ]]; then
  log "AS_OF=$AS_OF: write it as YYYY-MM-DDTHH:MM:SSZ (UTC)"
  exit 2
fi
run=${AS_OF//:/}                      # 2026-11-20T02:15:00Z -> 2026-11-20T021500Z
stamp='[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9][0-9][0-9][0-9][0-9]Z'

# The most recent earlier run that finished (not this one: a rerun of the
# same moment must not compare the folder with itself).
baseline=""
for dir in "$RUNS"/$stamp; do         # the glob sorts by name, so by moment
  [ -f "$dir/suppressed.csv" ] || continue
  [[ ${dir##*/} < $run ]] && baseline=$dir
done

args=(audit "$CAMPAIGN" --rules "$RULES" --as-of "$AS_OF" --out "$RUNS/$run" --wait "$WAIT" --quiet)
[ -n "$baseline" ] && args+=(--baseline "$baseline")

cxaudit "${args[@]}"                  # --quiet: warnings and one result line on stderr
status=$?

case $status in
  0)
    current=$(readlink "$RUNS/latest" 2>/dev/null || true)
    if [[ -z $current || ! $current > $run ]]; then  # a late backfill does not move it back
      ln -sfn "$run" "$RUNS/latest"
    fi
    if [ "$RETAIN" -gt 0 ]; then
      runs=("$RUNS"/$stamp)
      keep_from=$(( ${#runs[@]} - RETAIN ))
      for (( i = 0; i < keep_from; i++ )); do
        old=${runs[i]}
        [ "${old##*/}" = "$(readlink "$RUNS/latest")" ] && continue
        rm -rf -- "$old" && log "pruned $old (RETAIN=$RETAIN)"
      done
    fi
    log "$RUNS/$run written${baseline:+, compared with $baseline}; $RUNS/latest -> $(readlink "$RUNS/latest")"
    ;;
  1)
    log "exit 1 is check's \"violations found\", never audit's: is cxaudit the right version?"
    ;;
  3)
    log "over the suppression ceiling: $RUNS/$run/report.md says why; the lists were not written and $RUNS/latest stays on the last good run"
    ;;
  75)
    log "another run holds $RUNS/$run; nothing was written, try again later"
    ;;
  2)
    log "bad input or rules (the error is above); nothing was written, previous runs kept"
    ;;
  *)
    log "unexpected exit $status; previous runs kept"
    ;;
esac
exit $status

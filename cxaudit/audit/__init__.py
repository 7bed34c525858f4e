"""The audit core, in two phases over plain data.

- :mod:`.plan`: what a run will do (the request, the rules, the as-of
  moment);
- :mod:`.prepare`: a table made ready for rules (columns, dates, keys,
  derived fields), for the list and the sources alike;
- phase 1, :mod:`.conditions` and :mod:`.digest`: a source streamed and
  reduced to the keys the rules matched, with evidence;
- phase 2, :mod:`.persons` (which list rows are one person),
  :mod:`.matching` (the join, ``min_count``, ``match: none``) and
  :mod:`.decide` (precedence: where suppression is decided), then
  :mod:`.reasons`, :mod:`.coverage` and :mod:`.health` (rules that cannot
  fire).
"""

"""AFX's own counters and histograms, observed in the process where the event happens.

Labels are partner codes, request kinds, statuses and reasons only: never a value a caller
sent. Under gunicorn or Celery with several processes, set `PROMETHEUS_MULTIPROC_DIR` (one
folder per machine, emptied at start) so a scrape of any process reports all of them.
Gauges of what is waiting are not here: `observability.collectors` reads them from the
database at scrape time, so they are right whichever process is scraped.
"""

from prometheus_client import Counter, Histogram

# From seconds (an adapter answering at once) to the longest default deadlines (a day).
ROUND_TRIP_BUCKETS = (0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)

QUERY_ROUND_TRIP = Histogram(
    "afx_query_round_trip_seconds",
    "Time from a query's creation to its partner's answer, by partner code, kind and answer status.",
    ["partner", "kind", "status"],
    buckets=ROUND_TRIP_BUCKETS,
)

DEADLINE_BREACHES = Counter(
    "afx_query_deadline_breaches",
    "Queries expired because their partner did not answer before the deadline, by partner and kind.",
    ["partner", "kind"],
)

SIGNATURE_REJECTIONS = Counter(
    "afx_signature_rejections",
    "Adapter requests refused by the signature check, by reason "
    "(signature_replayed is a reused nonce; key_revoked a valid signature by a revoked key).",
    ["reason"],
)

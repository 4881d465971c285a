"""Permission-matrix rows of the audit API: auditors and administrators read it, nobody else.

Events, proofs and heads that do not exist answer readers 404; the world has no heads yet
(the sequencer has not run), so a consistency proof is a 404 too. The behaviour behind a
200 is tested in `test_api.py`.
"""

from tests.permission_matrix import Row, every

READERS = every(403, anonymous=401, auditor=200, administrator=200)
READERS_MISSING = every(403, anonymous=401, auditor=404, administrator=404)

ROWS = [
    Row("audit-event-list", "GET", "/api/v1/audit/events/", READERS),
    Row("audit-event-detail", "GET", "/api/v1/audit/events/0/", READERS_MISSING),
    Row("audit-event-proof", "GET", "/api/v1/audit/events/0/proof/", READERS_MISSING),
    Row("audit-export", "GET", "/api/v1/audit/export/", READERS, query={"format": "csv"}),
    Row("audit-head-list", "GET", "/api/v1/audit/heads/", READERS),
    Row(
        "audit-head-consistency",
        "GET",
        "/api/v1/audit/heads/consistency/",
        READERS_MISSING,
        query={"from": "1"},
    ),
    Row("audit-head-export", "GET", "/api/v1/audit/heads/export/", READERS),
    Row("audit-anomalies", "GET", "/api/v1/audit/anomalies/", READERS),
]

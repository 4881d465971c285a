"""Permission-matrix rows of approvals, cancellation and a case's holds.

The world's query is a pending order lookup of unit A: unit A's supervisor reaches it to
approve and is told it does not wait (409); its officer does not reach it to approve (404).
"""

from tests.permission_matrix import Row, every

_APPROVING = every(403, anonymous=401, officer_a=404, supervisor_a=409, officer_b=404)

ROWS: list[Row] = [
    Row("query-approve", "POST", "/api/v1/queries/{world.query_a.pk}/approve/", _APPROVING),
    Row(
        "query-reject",
        "POST",
        "/api/v1/queries/{world.query_a.pk}/reject/",
        _APPROVING,
        body=lambda w: {"reason": "duplicate"},
    ),
    Row(
        "query-cancel",
        "POST",
        "/api/v1/queries/{world.query_a.pk}/cancel/",
        every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404),
    ),
    Row(
        "case-holds",
        "GET",
        "/api/v1/cases/{world.case_a.pk}/holds/",
        every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404, auditor=200),
    ),
]

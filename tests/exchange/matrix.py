"""Permission-matrix rows of the exchange's endpoints."""

from tests.exchange.conftest import ANSWER
from tests.exchange.matrix_holds import ROWS as HOLD_ROWS
from tests.exchange.matrix_traces import ROWS as TRACE_ROWS
from tests.permission_matrix import Row, every

ADAPTERS = {"adapter_x": 403, "adapter_y": 403}
POLICE_ONLY = every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=200)
ON_CASE_A = every(403, anonymous=401, officer_a=200, supervisor_a=200, officer_b=404)
NEW_CASE = {"number": "M-1", "title": "t", "fraud_type": "loan", "legal_basis": "x", "victim_loss": "1.00"}

ROWS = [
    Row("case-list", "GET", "/api/v1/cases/", {**POLICE_ONLY, "auditor": 200}),
    Row(
        "case-list",
        "POST",
        "/api/v1/cases/",
        every(403, anonymous=401, officer_a=201, supervisor_a=201, officer_b=201),
        body=lambda w: NEW_CASE,
    ),
    Row("case-detail", "GET", "/api/v1/cases/{world.case_a.pk}/", {**ON_CASE_A, "auditor": 200}),
    Row("case-close", "POST", "/api/v1/cases/{world.case_a.pk}/close/", ON_CASE_A),
    Row("query-list", "GET", "/api/v1/queries/", {**POLICE_ONLY, "auditor": 200, "operator_bank": 200}),
    Row(
        "query-list",
        "POST",
        "/api/v1/queries/",
        every(403, anonymous=401, officer_a=202, supervisor_a=202, officer_b=404),
        body=lambda w: {
            "case": str(w.case_a.pk),
            "kind": "order_lookup",
            "partner": w.platform_x.code,
            "input": {"order_number": "PX0000000002"},
        },
    ),
    Row(
        "query-batch",
        "POST",
        "/api/v1/queries/batch/",
        POLICE_ONLY,
        body=lambda w: {
            "queries": [
                {
                    "case": str(w.case_a.pk),
                    "kind": "order_lookup",
                    "partner": "platform-x",
                    "input": {"order_number": "PX0000000003"},
                }
            ]
        },
    ),
    Row(
        "query-detail",
        "GET",
        "/api/v1/queries/{world.query_a.pk}/",
        {**ON_CASE_A, "auditor": 200, "operator_bank": 404},
    ),
    Row(
        "query-reveal",
        "POST",
        "/api/v1/queries/{world.query_a.pk}/reveal/",
        ON_CASE_A,
        body=lambda w: {"purpose": "evidence"},
    ),
    Row(
        "account-search",
        "POST",
        "/api/v1/accounts/search/",
        POLICE_ONLY,
        body=lambda w: {"account_number": "6222020200112233445"},
    ),
    Row(
        "adapter-inbox",
        "GET",
        "/api/v1/adapter/inbox/",
        every(403, anonymous=401, adapter_x=200, adapter_y=200),
    ),
    Row(
        "adapter-answer",
        "POST",
        "/api/v1/adapter/queries/{world.query_a.pk}/answer/",
        every(403, anonymous=401, adapter_x=200, adapter_y=404),
        body=lambda w: ANSWER,
    ),
    Row(
        "adapter-leases",
        "POST",
        "/api/v1/adapter/leases/",
        every(403, anonymous=401, adapter_x=200, adapter_y=200),  # another partner's ids: ignored
        body=lambda w: {"queries": [str(w.query_a.pk)]},
    ),
    Row("signing-key-list", "GET", "/api/v1/signing-keys/", every(200)),  # public keys, public on purpose
]

ROWS += [*TRACE_ROWS, *HOLD_ROWS]  # the traces' and the holds' rows, kept in files of their own

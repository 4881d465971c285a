"""Permission-matrix rows of the registry's endpoints and the public ones."""

from tests.permission_matrix import Row, every

NO_ANONYMOUS = {"anonymous": 401}
ADAPTERS_FORBIDDEN = {"adapter_x": 403, "adapter_y": 403}
ONLY_ADMIN = every(403, anonymous=401, administrator=200)

ROWS = [
    Row("health", "GET", "/api/v1/health/", every(200)),
    Row("health-ready", "GET", "/api/v1/health/ready/", every(200)),
    Row("schema", "GET", "/api/v1/schema/", every(200)),
    Row("docs", "GET", "/api/v1/docs/", every(200)),
    Row(
        "auth-token",
        "POST",
        "/api/v1/auth/token/",
        every(401),
        body=lambda w: {"username": w.officer_a.username, "password": "not-the-password"},
    ),
    Row(
        "auth-token", "DELETE", "/api/v1/auth/token/", every(204, anonymous=401, adapter_x=401, adapter_y=401)
    ),
    # Anonymous by design: credentials are not read, the enrolment code is the proof.
    Row(
        "auth-enrol",
        "POST",
        "/api/v1/auth/enrol/",
        every(400),
        body=lambda w: {"username": w.officer_a.username, "code": "not-the-code", "password": "x" * 20},
    ),
    # People only, by token; the current password is checked (wrong here: 400, nothing changes).
    Row(
        "auth-password",
        "POST",
        "/api/v1/auth/password/",
        every(400, anonymous=401, adapter_x=401, adapter_y=401),
        body=lambda w: {"current_password": "not-the-password", "new_password": "y" * 20},
    ),
    Row("me", "GET", "/api/v1/me/", every(200, **NO_ANONYMOUS)),
    Row("partner-list", "GET", "/api/v1/partners/", every(200, **NO_ANONYMOUS)),
    Row(
        "partner-detail",
        "GET",
        "/api/v1/partners/{world.platform_x.code}/",
        every(
            404, anonymous=401, officer_a=200, supervisor_a=200, adapter_x=200, auditor=200, administrator=200
        ),
    ),
    Row("partner-suspend", "POST", "/api/v1/partners/{world.platform_x.code}/suspend/", ONLY_ADMIN),
    Row("partner-reactivate", "POST", "/api/v1/partners/{world.platform_x.code}/reactivate/", ONLY_ADMIN),
    Row("person-list", "GET", "/api/v1/people/", every(200, **NO_ANONYMOUS, **ADAPTERS_FORBIDDEN)),
    Row(
        "person-detail",
        "GET",
        "/api/v1/people/{world.officer_a.username}/",
        every(
            404,
            anonymous=401,
            officer_a=200,
            supervisor_a=200,
            **ADAPTERS_FORBIDDEN,
            auditor=200,
            administrator=200,
        ),
    ),
    # A witness takes the second half of a pending code; officer-a has none in custody: 404.
    Row(
        "person-enrolment-witness",
        "POST",
        "/api/v1/people/{world.officer_a.username}/enrolment-witness/",
        every(403, anonymous=401, supervisor_a=404, administrator=404),
    ),
    Row(
        "adapter-key-list",
        "GET",
        "/api/v1/adapter-keys/",
        every(200, anonymous=401, officer_a=403, supervisor_a=403, officer_b=403),
    ),
    Row("grant-list", "GET", "/api/v1/grants/", every(200, **NO_ANONYMOUS)),
    Row(
        "grant-detail",
        "GET",
        "/api/v1/grants/{world.grant_a_x.pk}/",
        every(
            404, anonymous=401, officer_a=200, supervisor_a=200, adapter_x=200, auditor=200, administrator=200
        ),
    ),
    Row("adapter-me", "GET", "/api/v1/adapter/me/", every(403, anonymous=401, adapter_x=200, adapter_y=200)),
]

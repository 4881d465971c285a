"""The OpenAPI schema tells the truth about errors and authentication.

`AfxAutoSchema` (the `DEFAULT_SCHEMA_CLASS`) gives every operation the error responses it can
really return, all in the one shape of `api.errors.error_body` (the `Error` component). They
are derived from the view, not listed per view, so a new view is documented like the others:

- 400 when the operation takes a body or query parameters (they are validated);
- 401 when the view authenticates at all (a bad token or signature is refused even where
  anonymous callers are welcome);
- 403 unless every caller is allowed (`RoleAllowed` refuses roles and suspended partners;
  sessions need a CSRF token for writes);
- 404 when the path names an object (out of scope is the same 404 as missing) or the list
  is paged by cursor;
- 413 and 415 when it takes a body (size limit; JSON only);
- 429 when the view is throttled;
- 500 always: an unexpected failure still answers in the one shape.

A refusal only the service knows about (409, 410, a 404 for an object the body names or for a
missing head) is declared where the view declares its responses, with `refusal(...)`.

Security follows the roles the operation admits: an adapter-only operation lists only the
signature scheme; one no adapter may call does not list it.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny

from api.permissions import RoleAllowed
from core.roles import Role

ERROR_COMPONENT = "Error"
ERROR_REF = {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every 4xx and 5xx answer. Messages never quote what was sent.",
    "required": ["error"],
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "fields"],
            "additionalProperties": False,
            "properties": {
                "code": {"type": "string", "description": "Stable and machine-readable, e.g. `not_found`."},
                "message": {"type": "string", "description": "For people."},
                "fields": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "Per input field, its messages; empty when no field is at fault.",
                },
            },
        }
    },
}

TOKEN_SCHEME = "tokenAuth"  # noqa: S105 - the name of a security scheme, not a secret
SIGNATURE_SCHEME = "httpMessageSignature"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ERROR_DESCRIPTIONS = {
    400: "The body or a query parameter is not valid; `fields` names each one at fault.",
    401: "Not authenticated: no credentials, or a bad, expired or revoked token or signature.",
    403: "Authenticated, but this role may not do this, or the caller's partner is suspended.",
    404: "No such object, or one the caller may not see (the same answer), or an unknown page cursor.",
    413: "The request body is too large.",
    415: "The body is not `application/json`.",
    429: "Too many requests, or sign-ins locked after failures; `Retry-After` says when to retry.",
    500: "An unexpected failure; the request changed nothing.",
}


def refusal(description: str) -> OpenApiResponse:
    """A response in the one error shape, for a view's `@extend_schema(responses=...)`."""
    return OpenApiResponse(response=ERROR_REF, description=description)


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": ERROR_REF}},
    }
    header = {401: "WWW-Authenticate", 429: "Retry-After"}.get(status)
    if header:
        response["headers"] = {header: {"schema": {"type": "string"}}}
    return response


class AfxAutoSchema(AutoSchema):
    """drf-spectacular's schema, plus the error responses and role-aware security."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        self.registry.register_on_missing(
            ResolvedComponent(
                name=ERROR_COMPONENT,
                type=ResolvedComponent.SCHEMA,
                object=ERROR_COMPONENT,
                schema=ERROR_SCHEMA,
            )
        )
        responses = operation["responses"]
        for status in self._error_statuses(operation):
            responses.setdefault(str(status), _error_response(status))
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_statuses(self, operation: dict[str, Any]) -> list[int]:
        where = {parameter["in"] for parameter in operation.get("parameters", [])}
        takes_body = "requestBody" in operation
        validated = takes_body or "query" in where
        public = self._is_public()
        names_objects = "path" in where or self._paginated()
        authenticators = self.view.get_authenticators()
        csrf = self.method in UNSAFE_METHODS and any(
            isinstance(auth, SessionAuthentication) for auth in authenticators
        )
        statuses = {
            400: validated,
            401: bool(authenticators),
            403: not public or csrf,
            404: names_objects and not public,
            413: takes_body,
            415: takes_body,
            429: bool(self.view.get_throttles()),
            500: True,
        }
        return [status for status, applies in statuses.items() if applies]

    def _is_public(self) -> bool:
        return all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())

    def _paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _allowed_roles(self) -> frozenset[str] | None:
        """The roles `RoleAllowed` admits to this operation; None when it does not decide."""
        if self._is_public() or not any(isinstance(p, RoleAllowed) for p in self.view.get_permissions()):
            return None
        by_method = getattr(self.view, "allowed_roles_by_method", {})
        return frozenset(by_method.get(self.method, getattr(self.view, "allowed_roles", frozenset())))

    def get_auth(self) -> list[dict[str, Any]]:
        auth: list[dict[str, Any]] = super().get_auth()
        roles = self._allowed_roles()
        if roles is None:
            return auth
        if roles == {Role.ADAPTER}:
            return [requirement for requirement in auth if SIGNATURE_SCHEME in requirement]
        if Role.ADAPTER not in roles:
            return [requirement for requirement in auth if SIGNATURE_SCHEME not in requirement]
        return auth


class KnoxTokenScheme(OpenApiAuthenticationExtension):
    """People's sign-in tokens (knox), replacing drf-spectacular's own description of them."""

    target_class = "knox.auth.TokenAuthentication"
    name = TOKEN_SCHEME
    priority = 1

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Authorization: Token <token>`, with the token `POST /api/v1/auth/token/` issues for a "
                "username and password. It expires (8 hours by default); `DELETE /api/v1/auth/token/` "
                "revokes it."
            ),
        }


class AdapterSignatureScheme(OpenApiAuthenticationExtension):
    """Adapters sign each request (RFC 9421); OpenAPI 3.0 has no type for that, so the scheme
    is an `apiKey` on the `Signature` header whose description says what really happens."""

    target_class = "api.authentication.AdapterSignatureAuthentication"
    name = SIGNATURE_SCHEME

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Signature",
            "description": (
                "HTTP Message Signatures (RFC 9421) made with the adapter key's Ed25519 private key; "
                "the gateway keeps only the public key. Each request carries `Signature-Input` and "
                "`Signature` (label `afx`; parameters `created`, `keyid` = the adapter key id, "
                '`alg="ed25519"`, a fresh `nonce`, `tag="afx-adapter"`) covering `@method`, '
                "`@authority`, `@path`, `@query` and `content-digest`, and a `Content-Digest` "
                "(RFC 9530, `sha-256`) of the body, even an empty one. A signature more than five "
                "minutes from the gateway's clock, a reused nonce, an unknown or revoked key or a "
                "mismatch is a 401. `afx_sdk.signing.signed_headers` makes these headers."
            ),
        }

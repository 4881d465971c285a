"""The one list of audited actions and their outcomes."""

from django.db import models


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_LOCKED = "sign_in_locked", "Sign-in locked out"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    PARTNER_CREATED = "partner_created", "Partner created"
    PARTNER_UPDATED = "partner_updated", "Partner updated"
    PARTNER_SUSPENDED = "partner_suspended", "Partner suspended"
    PARTNER_REACTIVATED = "partner_reactivated", "Partner reactivated"
    PERSON_CREATED = "person_created", "Person created"
    PERSON_UPDATED = "person_updated", "Person updated"
    PERSON_DEACTIVATED = "person_deactivated", "Person deactivated"
    # A person's credential is theirs alone: they set it with an enrolment code, change it
    # themselves, and an administrator can only start their enrolment over.
    PERSON_ENROLLED = "person_enrolled", "Person enrolled (set their own password)"
    PASSWORD_CHANGED = "password_changed", "Password changed by its holder"
    ENROLMENT_RESET = "enrolment_reset", "Enrolment started over by an administrator"
    ENROLMENT_WITNESSED = "enrolment_witnessed", "Second half of an enrolment code released to a witness"
    KEY_CREATED = "key_created", "Adapter key created"
    KEY_REVOKED = "key_revoked", "Adapter key revoked"
    GRANT_CREATED = "grant_created", "Grant created"
    GRANT_REVOKED = "grant_revoked", "Grant revoked"
    REQUEST_DENIED = "request_denied", "Request denied"
    SIGNATURE_REJECTED = "signature_rejected", "Adapter signature rejected"
    PLAINTEXT_REVEALED = "plaintext_revealed", "Plaintext revealed"
    AUDIT_EXPORTED = "audit_exported", "Audit log exported"
    # Emitted by the case and lookup issues; `audit.anomalies` reads them. A lookup or a case
    # view carries `case_id`; a lookup's details hold `subject_index`, the blind index of
    # the person or account looked up (never the value itself); `cases_linked` holds
    # `linked_case_id`, the other case of the pair.
    CASE_VIEWED = "case_viewed", "Case viewed"
    CASE_CLOSED = "case_closed", "Case closed"
    CASE_REOPENED = "case_reopened", "Case reopened"
    CASES_LINKED = "cases_linked", "Cases linked"
    LOOKUP_SUBMITTED = "lookup_submitted", "Lookup submitted"
    # Emitted by the exchange (gateway app) along a query's journey.
    CASE_OPENED = "case_opened", "Case opened"
    QUERY_REFUSED = "query_refused", "Query refused by the gateway"
    QUERY_DISPATCHED = "query_dispatched", "Query delivered to its partner"
    QUERY_ANSWERED = "query_answered", "Query answered"
    QUERY_FAILED = "query_failed", "Query failed"
    QUERY_EXPIRED = "query_expired", "Query expired"
    ANSWER_CONFLICT = "answer_conflict", "Conflicting answer refused"
    ACCOUNT_SEARCHED = "account_searched", "Account searched"


class Outcome(models.TextChoices):
    ALLOWED = "allowed", "Allowed"
    DENIED = "denied", "Denied"
    ERROR = "error", "Error"


class ActorType(models.TextChoices):
    PERSON = "person", "Person"
    ADAPTER = "adapter", "Adapter"
    ANONYMOUS = "anonymous", "Anonymous"
    SYSTEM = "system", "System (command or task)"

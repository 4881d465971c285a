"""What the partner registry records: sign-ins, tokens, the registry's changes, credentials."""

from django.db import models

from audit.vocabulary import Trait


class PartnerAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_IN_LOCKED = "sign_in_locked", "Sign-in locked out"
    TOKEN_ISSUED = "token_issued", "API token issued"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    PARTNER_CREATED = "partner_created", "Partner created"
    PARTNER_SUSPENDED = "partner_suspended", "Partner suspended"
    PARTNER_REACTIVATED = "partner_reactivated", "Partner reactivated"
    PARTNER_BINS_CHANGED = "partner_bins_changed", "A bank's card prefixes (BINs) changed"
    PARTNER_PUSH_QUEUE_CHANGED = "partner_push_queue_changed", "A push partner's delivery queue changed"
    PERSON_CREATED = "person_created", "Person created"
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
    SIGNATURE_REJECTED = "signature_rejected", "Adapter signature rejected"


TRAITS = {
    action: {Trait.PASSIVE}
    for action in (
        PartnerAction.SIGN_IN,
        PartnerAction.SIGN_IN_FAILED,
        PartnerAction.SIGN_IN_LOCKED,
        PartnerAction.TOKEN_ISSUED,
        PartnerAction.TOKEN_REVOKED,
    )
}

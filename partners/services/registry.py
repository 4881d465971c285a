"""Partners: registering one, changing a bank's BINs, and suspending or reactivating it."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction

from audit.choices import Outcome
from audit.services import event_record
from core import request_kinds
from core.actors import Actor
from core.errors import Conflict, Invalid
from partners.access import access_partner_by_code, require_registry_writer
from partners.audit_actions import PartnerAction
from partners.choices import ANSWERING_KINDS, Delivery, PartnerKind, PartnerStatus, PushQueue
from partners.models import Partner


def _validate_reachability(kind: str, delivery: str, webhook_url: str, answers: Iterable[str]) -> list[str]:
    """The request kinds an answering partner answers, checked with how it is reached.

    An answering partner may answer no kind yet: a bank is registered, keyed and reachable
    before AFX carries a kind that banks answer.
    """
    answers = sorted(set(answers))
    if kind not in ANSWERING_KINDS:
        if delivery or webhook_url or answers:
            raise Invalid(
                "Only banks, payment platforms and telecom operators answer requests.", code="not_answering"
            )
        return []
    allowed = request_kinds.answerable_by(kind)
    unknown = [a for a in answers if a not in allowed]
    if unknown:
        raise Invalid(
            "This kind of partner cannot answer these request kinds.",
            fields={"answers": [f"A {kind} answers: {', '.join(sorted(allowed)) or 'no kind yet'}."]},
        )
    if delivery not in Delivery.values:
        raise Invalid(
            "An answering partner is reached by push or pull.", fields={"delivery": ["push or pull"]}
        )
    if delivery == Delivery.PUSH and not webhook_url:
        raise Invalid("A push partner needs a webhook URL.", fields={"webhook_url": ["Required for push."]})
    if delivery == Delivery.PULL and webhook_url:
        raise Invalid("A pull partner has no webhook URL.", fields={"webhook_url": ["Only for push."]})
    if webhook_url and not webhook_url.startswith("https://") and not settings.AFX_ALLOW_HTTP_WEBHOOKS:
        # The push body carries what is asked about: it travels only over TLS.
        raise Invalid("A webhook must use HTTPS.", fields={"webhook_url": ["Must start with https://."]})
    return answers


def _validate_formats(input_formats: dict[str, str]) -> dict[str, str]:
    for name, pattern in input_formats.items():
        try:
            re.compile(pattern)
        except re.error:
            raise Invalid(
                "Not a regular expression.", fields={"input_formats": [f"{name}: invalid."]}
            ) from None
    return input_formats


def partner_create(
    *,
    actor: Actor | None,
    code: str,
    name: str,
    kind: str,
    delivery: str = "",
    webhook_url: str = "",
    answers: Iterable[str] = (),
    input_formats: dict[str, str] | None = None,
    bins: Iterable[str] = (),
) -> Partner:
    """Register a partner and the group its grants are given to.

    `input_formats` maps an input name to the regular expression its values must match at this
    partner (e.g. a platform's order numbers), checked before a query is accepted. A bank's
    `bins` are the card-number prefixes it issues: accounts found in answers are routed by them.
    """
    require_registry_writer(actor)
    if kind not in PartnerKind.values:
        raise Invalid("Unknown partner kind.", fields={"kind": [f"One of: {', '.join(PartnerKind.values)}."]})
    answered = _validate_reachability(kind, delivery, webhook_url, answers)
    with transaction.atomic():
        prefixes = _validate_bins(kind, bins)
        if Partner.objects.filter(code=code).exists():
            raise Conflict("A partner with this code exists.", fields={"code": ["Already taken."]})
        group = Group.objects.create(name=f"partner:{code}")
        partner = Partner(
            code=code,
            name=name,
            kind=kind,
            delivery=delivery,
            webhook_url=webhook_url,
            answers=answered,
            input_formats=_validate_formats(input_formats or {}),
            bins=prefixes,
            group=group,
        )
        partner.full_clean(exclude=["group"])
        partner.save()
        event_record(
            actor=actor,
            action=PartnerAction.PARTNER_CREATED,
            target=partner,
            details={"code": code, "kind": kind, "delivery": delivery, "answers": answered, "bins": prefixes},
        )
        return partner


BIN = re.compile(r"[0-9]{4,10}")


def partner_set_bins(*, actor: Actor | None, code: str, bins: Iterable[str]) -> Partner:
    """Replace a bank's BINs (a bank that starts issuing a new range, or gives one up): the
    next account a trace meets is routed by them, what was already asked stays with its bank."""
    found = access_partner_by_code(actor=actor, code=code)
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=found.pk)
        prefixes = _validate_bins(partner.kind, bins, of=partner)
        if prefixes == partner.bins:
            return partner
        before, partner.bins = partner.bins, prefixes
        partner.save(update_fields=["bins", "updated_at"])
        event_record(
            actor=actor,
            action=PartnerAction.PARTNER_BINS_CHANGED,
            target=partner,
            details={"code": partner.code, "bins": prefixes, "before": before},
        )
        return partner


def partner_set_push_queue(*, actor: Actor | None, code: str, queue: str) -> Partner:
    """Move a push partner's deliveries to another Celery queue (`PushQueue`): a partner whose
    webhook answers in seconds to `push_slow`, whose own workers it then occupies, so it holds
    up no fast partner. Pushes already queued finish where they are; the next ones move."""
    found = access_partner_by_code(actor=actor, code=code)
    if queue not in PushQueue.values:
        raise Invalid("Unknown push queue.", fields={"queue": [f"One of {', '.join(PushQueue.values)}."]})
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=found.pk)
        if partner.delivery != Delivery.PUSH:
            raise Invalid("Only a push partner has a push queue.", fields={"queue": ["Only push partners."]})
        if partner.push_queue == queue:
            return partner
        before, partner.push_queue = partner.push_queue, queue
        partner.save(update_fields=["push_queue", "updated_at"])
        event_record(
            actor=actor,
            action=PartnerAction.PARTNER_PUSH_QUEUE_CHANGED,
            target=partner,
            details={"code": partner.code, "queue": queue, "before": before},
        )
        return partner


def _validate_bins(kind: str, bins: Iterable[str], *, of: Partner | None = None) -> list[str]:
    """A bank's card prefixes: 4 to 10 digits each, sorted, each once; nobody else has any.

    Called inside the caller's transaction: the banks' rows are locked while they are
    compared, so two changes at once cannot both take overlapping prefixes."""
    prefixes = sorted(set(bins))
    if prefixes and kind != PartnerKind.BANK:
        raise Invalid("Only a bank issues card numbers.", fields={"bins": ["Only for banks."]})
    if not all(BIN.fullmatch(prefix) for prefix in prefixes):
        raise Invalid("A BIN is 4 to 10 digits.", fields={"bins": ["4 to 10 digits each."]})
    # One issuer per card number: a prefix inside another bank's would take its accounts, and
    # the stops signed for them, to the wrong bank.
    others = Partner.objects.select_for_update().filter(kind=PartnerKind.BANK).exclude(bins=[])
    if of is not None:
        others = others.exclude(pk=of.pk)
    taken = [p for bins_of in others.values_list("bins", flat=True) for p in bins_of]
    if any(new.startswith(old) or old.startswith(new) for new in prefixes for old in taken):
        raise Conflict("A BIN overlaps another bank's.", fields={"bins": ["Overlaps another bank's BIN."]})
    return prefixes


class ExchangeNotSuspendable(Conflict):
    code = "exchange_not_suspendable"
    audited = True  # `partner_set_status` records the refusal before raising it


def partner_set_status(*, actor: Actor | None, code: str, status: str) -> Partner:
    """Suspend or reactivate a partner; a suspension stops its traffic at the next request.

    The exchange itself (kind `exchange`) is never suspended: administrators belong to it, so
    its suspension would lock every one of them out of the API and the admin, leaving only a
    shell command to undo it. The refusal is recorded, and committed, before it is raised.
    """
    found = access_partner_by_code(actor=actor, code=code)
    if status not in PartnerStatus.values:
        raise Invalid("Unknown status.", fields={"status": [f"One of: {', '.join(PartnerStatus.values)}."]})
    with transaction.atomic():
        partner = Partner.objects.select_for_update().get(pk=found.pk)
        if not (status == PartnerStatus.SUSPENDED and partner.kind == PartnerKind.EXCHANGE):
            return _partner_status_change(actor, partner, status)
        event_record(
            actor=actor,
            action=PartnerAction.PARTNER_SUSPENDED,
            outcome=Outcome.DENIED,
            target=partner,
            details={"code": partner.code, "reason": ExchangeNotSuspendable.code},
        )
    raise ExchangeNotSuspendable(
        "The exchange itself cannot be suspended: its administrators would be locked out."
    )


def _partner_status_change(actor: Actor | None, partner: Partner, status: str) -> Partner:
    if partner.status == status:
        return partner
    partner.status = status
    partner.save(update_fields=["status", "updated_at"])
    action = (
        PartnerAction.PARTNER_SUSPENDED
        if status == PartnerStatus.SUSPENDED
        else PartnerAction.PARTNER_REACTIVATED
    )
    event_record(actor=actor, action=action, target=partner, details={"code": partner.code})
    return partner

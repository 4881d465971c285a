"""The Django admin for administrators: every write goes through `partners.services`, naming
its object by key as the API does, so it is validated, scoped and audited exactly like the
commands and the API. The request kinds offered are those registered when it runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from guardian.admin import GuardedModelAdmin
from guardian.forms import GroupObjectPermissionsForm
from knox.models import AuthToken

from core import request_kinds
from core.errors import DomainError
from core.roles import PERSON_ROLES

from .choices import Delivery, PartnerStatus
from .enrolment import enrolment_notice
from .models import AdapterKey, Grant, Partner, Person
from .permissions import kind_of, send_codename
from .services import grants, keys, people, registry, tokens

DEFAULT_GRANT_LIFETIME = timedelta(days=90)


def _run(request: HttpRequest, action: Any, **kwargs: Any) -> Any:
    """Call a service as the signed-in administrator; show a refusal as an admin message."""
    try:
        return action(actor=request.user, **kwargs)
    except DomainError as error:
        messages.error(request, error.message)
        return None


class PartnerForm(forms.ModelForm):
    answers = forms.MultipleChoiceField(choices=request_kinds.choices, required=False)
    delivery = forms.ChoiceField(choices=[("", "-"), *Delivery.choices], required=False)
    webhook_url = forms.URLField(assume_scheme="https", required=False)
    # A bank's card prefixes, typed as a list; `partner_create` validates them (4 to 10 digits).
    bins = forms.CharField(
        required=False, help_text="A bank's card-number prefixes (BINs), separated by commas or spaces."
    )

    class Meta:
        model = Partner
        fields = [
            "code",
            "name",
            "kind",
            "delivery",
            "webhook_url",
            "answers",
            "bins",
            "stop_payment_needs_approval",
        ]

    def clean_bins(self) -> list[str]:
        return self.cleaned_data["bins"].replace(",", " ").split()


def grant_form_for(request: HttpRequest) -> type[GroupObjectPermissionsForm]:
    """Guardian's group object-permission form, with an expiry and a legal basis, saving
    through `grant_create` / `grant_revoke` as the signed-in administrator."""

    class GrantPermissionsForm(GroupObjectPermissionsForm):
        obj: Partner
        expires_at = forms.DateTimeField(initial=lambda: timezone.now() + DEFAULT_GRANT_LIFETIME)
        legal_basis = forms.CharField(max_length=300, required=False)

        def get_obj_perms_field_choices(self) -> list[tuple[str, str]]:
            """The request kinds registered now that this partner answers, not every permission
            of the model."""
            return [
                (send_codename(name), label)
                for name, label in request_kinds.choices()
                if name in self.obj.answers
            ]

        def save_obj_perms(self) -> None:
            chosen = set(self.cleaned_data[self.get_obj_perms_field_name()])
            offered = {codename for codename, _ in self.get_obj_perms_field_choices()}
            # A grant of a kind no longer offered is kept: nobody could have unticked it.
            held = set(self.get_obj_perms_field_initial()) & offered
            for codename in held - chosen:
                grant = Grant.objects.get(
                    group=self.group, content_object=self.obj, permission__codename=codename
                )
                _run(request, grants.grant_revoke, grant_id=grant.pk)
            for codename in chosen:
                _run(
                    request,
                    grants.grant_create,
                    unit_code=self.group.partner.code,
                    partner_code=self.obj.code,
                    kind=kind_of(codename),
                    expires_at=self.cleaned_data["expires_at"],
                    legal_basis=self.cleaned_data["legal_basis"],
                )

    return GrantPermissionsForm


# Partners' groups are managed with their partner; renaming one would orphan its grants.
admin.site.unregister(Group)


class NoDeleteMixin:
    """Partners and people are suspended or deactivated through the services, never deleted:
    the admin's delete view and `delete_selected` would bypass validation and the audit log."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Partner)
class PartnerAdmin(NoDeleteMixin, GuardedModelAdmin):  # type: ignore[misc]
    form = PartnerForm
    list_display = ["code", "name", "kind", "status", "delivery"]
    list_filter = ["kind", "status", "delivery"]
    search_fields = ["code", "name"]
    actions = ["suspend", "reactivate"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Created through the service; afterwards only suspension and grants change it.
        return ["code", "name", "kind", "status", "delivery", "webhook_url", "answers", "bins"] if obj else []

    def save_model(self, request: HttpRequest, obj: Partner, form: Any, change: bool) -> None:
        if change:
            return
        created = _run(
            request,
            registry.partner_create,
            code=obj.code,
            name=obj.name,
            kind=obj.kind,
            delivery=obj.delivery,
            webhook_url=obj.webhook_url,
            answers=form.cleaned_data["answers"],
            bins=form.cleaned_data["bins"],
        )
        if created is not None:
            obj.pk = created.pk

    def get_obj_perms_manage_group_form(self, request: HttpRequest) -> type[GroupObjectPermissionsForm]:
        return grant_form_for(request)

    @admin.action(description="Suspend: stop all traffic of the selected partners")
    def suspend(self, request: HttpRequest, selected: QuerySet[Partner]) -> None:
        for partner in selected:
            _run(request, registry.partner_set_status, code=partner.code, status=PartnerStatus.SUSPENDED)

    @admin.action(description="Reactivate the selected partners")
    def reactivate(self, request: HttpRequest, selected: QuerySet[Partner]) -> None:
        for partner in selected:
            _run(request, registry.partner_set_status, code=partner.code, status=PartnerStatus.ACTIVE)


class PersonForm(forms.ModelForm):
    role = forms.ChoiceField(choices=[(r.value, r.label) for r in PERSON_ROLES])

    class Meta:
        model = Person
        fields = ["username", "partner", "role"]


@admin.register(Person)
class PersonAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = PersonForm
    list_display = ["username", "partner", "role", "is_active"]
    list_filter = ["role", "is_active", "partner__kind"]
    search_fields = ["username"]
    actions = ["deactivate", "reset_enrolment", "witness_enrolment"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["username", "partner", "role", "is_active", "date_joined", "last_login"] if obj else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj) or ["username", "partner", "role"]

    def save_model(self, request: HttpRequest, obj: Person, form: Any, change: bool) -> None:
        if change:
            return
        result = _run(
            request,
            people.person_create,
            partner_code=obj.partner.code,
            username=obj.username,
            role=form.cleaned_data["role"],
        )
        if result is not None:
            person, code = result
            obj.pk = person.pk
            _enrolment_codes(request).append((person.username, code))

    def response_add(self, request: HttpRequest, obj: Person, post_url_continue: str | None = None) -> Any:
        """The new person's code on this page, not in a message (a cookie the browser keeps)."""
        codes = _enrolment_codes(request)
        return _enrolment_codes_page(request, codes) if codes else super().response_add(request, obj)

    @admin.action(description="Deactivate: no more sign-ins, tokens revoked")
    def deactivate(self, request: HttpRequest, selected: QuerySet[Person]) -> None:
        for person in selected:
            _run(request, people.person_deactivate, username=person.username)

    @admin.action(description="Start enrolment over: password unusable, tokens revoked, new code")
    def reset_enrolment(self, request: HttpRequest, selected: QuerySet[Person]) -> TemplateResponse | None:
        codes = _enrolment_codes(request)
        for person in selected:
            code = _run(request, people.person_enrolment_reset, username=person.username)
            if code is not None:
                codes.append((person.username, code))
        return _enrolment_codes_page(request, codes) if codes else None

    @admin.action(description="Witness: take the second half of their enrolment code (once)")
    def witness_enrolment(self, request: HttpRequest, selected: QuerySet[Person]) -> TemplateResponse | None:
        halves = [
            (person.username, half)
            for person in selected
            if (half := _run(request, people.person_enrolment_witness, username=person.username)) is not None
        ]
        return _enrolment_codes_page(request, halves, second=True) if halves else None


def _enrolment_codes(request: HttpRequest) -> list[tuple[str, str]]:
    """The codes made while handling this request, to show in its response."""
    codes: list[tuple[str, str]] = request.__dict__.setdefault("afx_enrolment_codes", [])
    return codes


SECOND_HALF_NOTICE = (
    "The SECOND half of each code, released to you once as its witness. Hand it to the person; "
    "it goes after the first half, which the administrator who made the code has."
)


def _enrolment_codes_page(
    request: HttpRequest, codes: list[tuple[str, str]], *, second: bool = False
) -> TemplateResponse:
    """Halves of codes in the response body, once and never cached. Not in `messages`: that
    is a signed but readable cookie, which the browser keeps and sends with later requests."""
    response = TemplateResponse(
        request,
        "admin/partners/person/enrolment_codes.html",
        {
            **admin.site.each_context(request),
            "title": "Enrolment codes",
            "codes": codes,
            "notice": SECOND_HALF_NOTICE if second else enrolment_notice(half=True),
        },
    )
    add_never_cache_headers(response)
    return response


# knox's own admin has an "add" page that mints a token for any person and shows it: an
# administrator could act as anyone. Tokens come only from a person's own sign-in.
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(NoDeleteMixin, admin.ModelAdmin):
    """Live sign-in tokens by person, to revoke: `token_revoke` records the administrator as
    actor and the holder as target (deleting here would skip the audit log)."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = readonly_fields = ("token_key", "user", "created", "expiry")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request: HttpRequest, selected: QuerySet[AuthToken]) -> None:
        for token in selected:
            _run(request, tokens.token_revoke, digest=token.digest)


class AdapterKeyForm(forms.ModelForm):
    public_key = forms.CharField(
        max_length=200,
        help_text="The adapter's Ed25519 public key (base64url of its raw 32 bytes), made by the partner "
        "with `python -m afx_sdk.keygen`. The private key stays with the partner; AFX never sees it.",
    )

    class Meta:
        model = AdapterKey
        fields = ["partner", "label", "public_key"]


@admin.register(AdapterKey)
class AdapterKeyAdmin(NoDeleteMixin, admin.ModelAdmin):
    form = AdapterKeyForm
    list_display = ["key_id", "partner", "label", "created_at", "revoked_at", "last_used_at"]
    list_filter = ["partner"]
    actions = ["revoke"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return [
            "key_id",
            "partner",
            "label",
            "public_key",
            "created_at",
            "created_by",
            "revoked_at",
            "last_used_at",
        ]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.get_readonly_fields(request, obj) or ["partner", "label", "public_key"]

    def save_model(self, request: HttpRequest, obj: AdapterKey, form: Any, change: bool) -> None:
        if change:
            return
        key = _run(
            request,
            keys.adapter_key_create,
            partner_code=obj.partner.code,
            public_key=form.cleaned_data["public_key"],
            label=obj.label,
        )
        if key is not None:
            obj.pk = key.pk
            messages.success(request, f"{key.partner.code}: registered AFX_KEY_ID={key.key_id}")

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, selected: QuerySet[AdapterKey]) -> None:
        for key in selected:
            _run(request, keys.adapter_key_revoke, key_id=key.key_id)


@admin.register(Grant)
class GrantAdmin(admin.ModelAdmin):
    """Grants are given on a partner's guardian "Object permissions" page; here they are
    listed and revoked."""

    list_display = ["id", "unit_code", "content_object", "request_kind", "expires_at", "legal_basis"]
    list_filter = ["permission__codename"]
    list_select_related = ["group", "content_object", "permission"]
    fields = readonly_fields = (
        "group",
        "permission",
        "content_object",
        "expires_at",
        "legal_basis",
        "granted_at",
        "granted_by",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Grant) -> None:
        _run(request, grants.grant_revoke, grant_id=obj.pk)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Grant]) -> None:
        for grant in queryset:
            _run(request, grants.grant_revoke, grant_id=grant.pk)

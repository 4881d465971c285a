"""Admin: encrypted fields shown masked in lists and detail, never editable or searchable."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import lookup_field
from django.test import RequestFactory

from privacy.admin import DataKeyAdmin, MaskedFieldsAdminMixin
from privacy.masking import HIDDEN
from privacy.models import DataKey
from tests.privacy.conftest import ACCOUNT, HOLDER, NOTE
from tests.privacy.probe import ProbeAccount

pytestmark = pytest.mark.django_db
site = admin.AdminSite(name="privacy-test")


class AccountAdmin(MaskedFieldsAdminMixin, admin.ModelAdmin):
    list_display = ["label", "number", "holder"]
    fieldsets = [("Account", {"fields": ["label", "number"]})]


def _request() -> Any:
    return RequestFactory().get("/")


def test_list_columns_are_masked() -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note=NOTE, label="probe")
    model_admin = AccountAdmin(ProbeAccount, site)
    columns = model_admin.get_list_display(_request())
    assert columns == ["label", "number_masked", "holder_masked"]
    shown = [lookup_field(name, account, model_admin)[2] for name in columns]
    assert shown == ["probe", "6222 **** **** 1234", "张*"]


def test_detail_shows_every_encrypted_field_masked_and_read_only() -> None:
    account = ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note=NOTE)
    model_admin = AccountAdmin(ProbeAccount, site)
    readonly = model_admin.get_readonly_fields(_request(), account)
    assert readonly == ["number_masked", "holder_masked", "note_masked"]
    (_, options), *_ = model_admin.get_fieldsets(_request(), account)
    assert options["fields"][0] == "label" and options["fields"][1] == "number_masked"
    form = model_admin.get_form(_request(), account)(instance=account)
    assert list(form.fields) == ["label"]
    shown = [
        helpers.AdminReadonlyField(form, c, is_first=False, model_admin=model_admin).contents()
        for c in readonly
    ]
    assert shown == ["6222 **** **** 1234", "张*", HIDDEN]


def test_searching_encrypted_fields_is_a_configuration_error() -> None:
    class Searching(MaskedFieldsAdminMixin, admin.ModelAdmin):
        search_fields = ["label", "number"]
        ordering = ["-holder"]

    errors = Searching(ProbeAccount, site).check()
    assert [e.id for e in errors] == ["privacy.E010", "privacy.E010"]
    assert AccountAdmin(ProbeAccount, site).check() == []


def test_data_keys_are_read_only_and_the_wrapped_key_never_shown() -> None:
    model_admin = DataKeyAdmin(DataKey, site)
    request = _request()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request) and not model_admin.has_delete_permission(request)
    assert "wrapped_key" not in model_admin.get_fields(request)

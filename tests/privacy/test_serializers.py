"""API output: encrypted values are masked by any serializer, secrets and indexes fully hidden."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers
from rest_framework.renderers import JSONRenderer

from privacy.choices import Kind
from privacy.masking import HIDDEN
from privacy.serializers import MaskedField
from tests.privacy.conftest import ACCOUNT, HOLDER, NOTE
from tests.privacy.probe import ProbeAccount, ProbeAdapterKey

pytestmark = pytest.mark.django_db


class AccountOutput(serializers.ModelSerializer):
    class Meta:
        model = ProbeAccount
        fields = "__all__"


class KeyOutput(serializers.ModelSerializer):
    class Meta:
        model = ProbeAdapterKey
        fields = ["id", "signing_secret"]


def test_model_serializers_mask_every_encrypted_field_by_default() -> None:
    account = ProbeAccount.objects.get(
        pk=ProbeAccount.objects.create(number=ACCOUNT, holder=HOLDER, note=NOTE).pk
    )
    data = AccountOutput(account).data
    assert data["number"] == "6222 **** **** 1234"
    assert data["holder"] == "张*"
    assert data["note"] == data["number_index"] == data["holder_index"] == HIDDEN
    body = JSONRenderer().render(data).decode()
    assert ACCOUNT not in body and HOLDER not in body and "4200001234" not in body
    assert all(AccountOutput().fields[name].read_only for name in ("number", "holder", "number_index"))


def test_secrets_are_hidden_without_being_decrypted(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ProbeAdapterKey.objects.get(pk=ProbeAdapterKey.objects.create(signing_secret="s3cr3t").pk)

    def refuse(*args: Any) -> str:
        raise AssertionError("a secret was decrypted for display")

    monkeypatch.setattr("privacy.fields.unseal", refuse)
    assert KeyOutput(key).data["signing_secret"] == HIDDEN


def test_masked_field_with_an_explicit_kind_and_a_dotted_source() -> None:
    class CaseOutput(serializers.Serializer):
        account = MaskedField(source="source.number")
        phone = MaskedField(kind=Kind.PHONE)
        missing = MaskedField(source="absent.number")

    class Case:
        source = ProbeAccount(number=ACCOUNT)
        phone = "13812345678"
        absent = None

    assert CaseOutput(Case()).data == {
        "account": "6222 **** **** 1234",
        "phone": "138****5678",
        "missing": None,
    }

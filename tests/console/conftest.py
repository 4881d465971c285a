"""What the console's tests share: people who know their password, signed in like a browser."""

from __future__ import annotations

from typing import Any

from django.test import Client

from exchange.models import Query
from exchange.services import answers
from partners.identity import AdapterPrincipal
from partners.models import Person
from tests.exchange.conftest import ANSWER, ANSWER_ACCOUNT  # noqa: F401 - the console's tests take them from here

PASSWORD = "correct horse battery staple"
SIGN_IN = "/console/sign-in/"


def with_password(person: Person) -> Person:
    person.set_password(PASSWORD)
    person.save(update_fields=["password"])
    return person


def sign_in(person: Person, client: Client | None = None, password: str = PASSWORD) -> Any:
    client = client or Client()
    return client.post(SIGN_IN, {"username": person.username, "password": password})


def answer(world: Any, query: Query) -> Query:
    """Answer `query` as platform X's adapter, through the exchange's service."""
    answered, _ = answers.answer_record(
        actor=AdapterPrincipal(key=world.key_x.key), query_id=query.pk, payload=ANSWER
    )
    return answered

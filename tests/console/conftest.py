"""What the console's tests share: people who know their password, signed in like a browser."""

from __future__ import annotations

from typing import Any

from django.test import Client

from exchange.models import Query
from exchange.services import answers
from partners.identity import AdapterPrincipal
from partners.models import Person

PASSWORD = "correct horse battery staple"
SIGN_IN = "/console/sign-in/"

ANSWER_ACCOUNT = "6222 0202 0011 2233 445"  # typed where a test searches the answer's account
ANSWER = {
    "status": "answered",
    "result": {
        "bank": "East Commercial Bank",
        "account_number": ANSWER_ACCOUNT,
        "holder_name": "李四",
        "amount": "5200.00",
        "paid_at": "2026-11-21T10:00:00+08:00",
    },
}


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

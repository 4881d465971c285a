"""Pushes go to their partner's Celery queue: a slow partner's to `push_slow`, served by workers
of its own, the others' to the default queue; changing a partner's queue is the registry's act,
audited, for push partners only."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from celery import current_app
from django.conf import settings
from django.core.management import call_command

from audit.models import AuditEvent
from core.actors import SystemActor
from core.errors import Invalid
from exchange.delivery import queues
from exchange.delivery.push import push_query
from partners.choices import PushQueue
from partners.models import Partner
from partners.services import registry
from tests import factories

SYSTEM = SystemActor("test")


def routed_queue(query_id: str, **options: Any) -> str:
    """The queue Celery's own router gives a push of `query_id`, as `push_query.delay` would."""
    route = current_app.amqp.router.route(options, queues.PUSH_TASK, args=(query_id,), kwargs={})
    return str(route["queue"].name)


@pytest.fixture
def slow_query(world: Any) -> Any:
    registry.partner_set_push_queue(actor=SYSTEM, code=world.platform_y.code, queue=PushQueue.SLOW)
    case = factories.case(world.officer_b, "B-0001")
    return factories.query(world.officer_b, case, world.platform_y, order_number="PY0000000001")


def test_a_slow_partners_push_goes_to_the_slow_queue(world, slow_query):
    assert routed_queue(str(slow_query.pk)) == "push_slow"


def test_a_fast_partners_push_and_the_periodic_tasks_stay_on_the_default_queue(world, slow_query):
    fast = factories.answering_partner("platform-z", delivery="push", webhook_url="http://127.0.0.1:9/z")
    factories.grant(world.unit_a, fast)
    query = factories.query(world.officer_a, world.case_a, fast, order_number="PZ0000000001")
    assert routed_queue(str(query.pk)) == "celery"
    route = current_app.amqp.router.route({}, "audit.sequence_events", args=(), kwargs={})
    assert route["queue"].name == "celery"
    assert routed_queue("00000000-0000-0000-0000-000000000000") == "celery"  # gone: nothing to do anywhere


def test_a_retry_stays_in_the_queue_its_message_came_from(world, slow_query):
    # `Task.retry` republishes with the delivery's own queue; the router leaves it alone.
    assert queues.push_route(queues.PUSH_TASK, (str(slow_query.pk),), {}, {"queue": "celery"}) is None
    assert routed_queue(str(slow_query.pk), queue="celery") == "celery"


def test_a_push_lands_in_its_partners_queue_and_in_no_other(world, slow_query):
    """Published on a broker (kombu's in-memory one), as the relay publishes: the message is in
    its partner's queue only, so the workers of that queue alone run it; and each queue is bound
    by its own exchange and key, so nothing sent to one exchange reaches the other queue."""
    fast = factories.answering_partner("platform-z", delivery="push", webhook_url="http://127.0.0.1:9/z")
    factories.grant(world.unit_a, fast)
    fast_query = factories.query(world.officer_a, world.case_a, fast, order_number="PZ0000000001")
    names = [queue.name for queue in current_app.amqp.queues.values()]
    bindings = {(q.name, q.exchange.name, q.routing_key) for q in current_app.amqp.queues.values()}
    assert bindings == {(name, name, name) for name in names}
    with current_app.connection_for_write("memory://") as connection:
        channel = connection.default_channel
        for queue in current_app.amqp.queues.values():
            queue.bind(channel).declare()
            channel.queue_purge(queue.name)
        sizes = []
        for query in (slow_query, fast_query):
            push_query.apply_async((str(query.pk),), connection=connection)
            sizes.append({name: channel._size(name) for name in names})
            for name in names:
                channel.queue_purge(name)
    assert sizes == [{"celery": 0, "push_slow": 1}, {"celery": 1, "push_slow": 0}]


def test_every_push_queue_is_a_queue_of_the_settings_so_a_worker_without_q_serves_them_all():
    declared = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    assert set(PushQueue.values) == declared
    assert PushQueue.DEFAULT == settings.CELERY_TASK_DEFAULT_QUEUE
    assert {queue.name for queue in current_app.amqp.queues.values()} == declared


def test_changing_a_partners_queue_is_audited_and_only_for_push_partners(world):
    call_command("partner_set_push_queue", world.platform_y.code, "push_slow", stdout=StringIO())
    assert Partner.objects.get(pk=world.platform_y.pk).push_queue == "push_slow"
    event = AuditEvent.objects.get(action="partner_push_queue_changed", target_id=str(world.platform_y.pk))
    assert event.details == {"code": "platform-y", "queue": "push_slow", "before": "celery"}
    registry.partner_set_push_queue(actor=SYSTEM, code=world.platform_y.code, queue="push_slow")
    assert AuditEvent.objects.filter(action="partner_push_queue_changed").count() == 1  # no change, no event
    with pytest.raises(Invalid):
        registry.partner_set_push_queue(actor=SYSTEM, code=world.platform_x.code, queue="push_slow")  # pull
    with pytest.raises(Invalid):
        registry.partner_set_push_queue(actor=SYSTEM, code=world.platform_y.code, queue="somewhere")
    assert Partner.objects.get(pk=world.platform_x.pk).push_queue == "celery"

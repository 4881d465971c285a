"""The sequencer as a Celery beat task: every two seconds, in production and in the embedded default."""

from celery import shared_task

from audit import sequencer


@shared_task(name="audit.sequence_events", ignore_result=True)
def sequence_events() -> int:
    """Put every committed event in the tree and publish a head per batch; returns the heads published.

    Runs that overlap (a slow run and the next tick) are harmless: the second finds the
    advisory lock taken and returns at once.
    """
    return len(sequencer.sequence_events())

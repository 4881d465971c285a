"""The figures' periodic Celery task: settled days are rolled up (`stats.rollup`)."""

from celery import shared_task

from stats import rollup


@shared_task(name="stats.roll_up_days")
def roll_up_days() -> int:
    """Roll up the settled days not rolled up yet, and the recent ones that changed; how many."""
    return rollup.days_roll_up()

"""What reading the figures records: who read which unit's figures, over which range."""

from django.db import models


class StatsAction(models.TextChoices):
    STATS_VIEWED = "stats_viewed", "Figures viewed"

"""What traces record of their own: a trace started, viewed and exported.

Registered with `audit.vocabulary` by the `account_transfers` kind, whose answers drive
traces, when the exchange's kinds are discovered. Details hold counts and blind indexes only.
"""

from django.db import models

from audit.vocabulary import Trait


class TraceAction(models.TextChoices):
    TRACE_STARTED = "trace_started", "Trace started"
    TRACE_VIEWED = "trace_viewed", "Trace viewed"
    TRACE_EXPORTED = "trace_exported", "Trace exported"


TRAITS = {
    TraceAction.TRACE_STARTED: {Trait.CASE_ACCESS},
    TraceAction.TRACE_VIEWED: {Trait.CASE_ACCESS, Trait.PASSIVE},
    TraceAction.TRACE_EXPORTED: {Trait.CASE_ACCESS},
}

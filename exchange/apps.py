from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    """Cases, queries, request kinds and their delivery.

    The label stays `gateway`, the app's first name: tables, migrations, audit target types
    (`gateway.query`) and Celery task names keep it, so no row or queued message changes.
    """

    name = "exchange"
    label = "gateway"
    verbose_name = "Exchange"

    def ready(self) -> None:
        from audit import vocabulary

        from . import checks, kinds  # noqa: F401  (checks: registers the system checks)
        from .audit_actions import TRAITS, ExchangeAction
        from .traces.audit_actions import TRAITS as TRACE_TRAITS
        from .traces.audit_actions import TraceAction

        vocabulary.register(self.label, ExchangeAction, TRAITS)
        vocabulary.register(f"{self.label}.traces", TraceAction, TRACE_TRAITS)
        # Each kind's package registers its name (core.request_kinds) and its audit actions.
        kinds.discover()

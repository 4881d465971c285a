from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "observability"
    verbose_name = "Observability"

    def ready(self) -> None:
        # Imported here: both read models, which exist only once the registry is ready.
        from prometheus_client import REGISTRY

        from . import signals
        from .collectors import DATABASE_COLLECTOR

        signals.connect()
        REGISTRY.register(DATABASE_COLLECTOR)

from django.apps import AppConfig


class StatsConfig(AppConfig):
    name = "stats"

    def ready(self) -> None:
        from audit import vocabulary

        from .audit_actions import StatsAction

        vocabulary.register(self.label, StatsAction)

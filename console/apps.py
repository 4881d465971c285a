from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The console's pages, its sign-in with a second factor, and the sessions it tracks."""

    name = "console"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import vocabulary

        from . import signals  # noqa: F401  (tracks each session a sign-in opens)
        from .audit_actions import TRAITS, ConsoleAction

        vocabulary.register(self.label, ConsoleAction, TRAITS)

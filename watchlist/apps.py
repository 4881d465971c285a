from django.apps import AppConfig


class WatchlistConfig(AppConfig):
    """Accounts and phone numbers confirmed in cases, and the restriction asked for them."""

    name = "watchlist"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit import vocabulary

        from . import retention
        from .audit_actions import WatchlistAction

        vocabulary.register(self.label, WatchlistAction)
        retention.connect()

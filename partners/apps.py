from django.apps import AppConfig
from django.db.models.signals import post_migrate


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner registry"

    def ready(self) -> None:
        from audit import vocabulary

        from . import checks, signals  # noqa: F401  (registers the system checks, connects the sign-in receivers)
        from .audit_actions import TRAITS, PartnerAction
        from .permissions import permissions_create

        vocabulary.register(self.label, PartnerAction, TRAITS)
        # After Django's own permissions: a grant permission row for every registered request kind.
        post_migrate.connect(permissions_create, sender=self, dispatch_uid="partners_send_permissions")

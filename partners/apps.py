from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner registry"

    def ready(self) -> None:
        from audit import vocabulary

        from . import checks, signals  # noqa: F401  (registers the system checks, connects the sign-in receivers)
        from .audit_actions import TRAITS, PartnerAction

        vocabulary.register(self.label, PartnerAction, TRAITS)

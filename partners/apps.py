from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner registry"

    def ready(self) -> None:
        from . import checks, signals  # noqa: F401  (registers the system checks, connects the sign-in receivers)

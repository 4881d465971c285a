from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = "Partner registry"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the sign-in receivers)

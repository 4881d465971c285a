from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The embedded demo: its world of partners and people, the processes it starts, the walkthrough."""

    name = "demo"
    verbose_name = "Demo"

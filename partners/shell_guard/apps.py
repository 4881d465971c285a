from django.apps import AppConfig


class ShellGuardConfig(AppConfig):
    name = "partners.shell_guard"
    label = "shell_guard"
    verbose_name = "Credential commands refused"

from django.apps import AppConfig


class DevServerConfig(AppConfig):
    name = "api.devserver"
    label = "devserver"
    verbose_name = "Development server"

from django.apps import AppConfig


class DevServerConfig(AppConfig):
    name = "gateway.devserver"
    label = "devserver"
    verbose_name = "Development server"

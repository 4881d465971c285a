from typing import Any

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserverCommand
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer


class RawTargetRequestHandler(WSGIRequestHandler):
    """Adds `RAW_URI`: the request target as it arrived, before any decoding."""

    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["RAW_URI"] = self.path
        return environ


class RawTargetWSGIServer(WSGIServer):
    """Django's development server, handing each request to `RawTargetRequestHandler`
    (`django.core.servers.basehttp.run` names its own handler class, so it is swapped here)."""

    def __init__(self, server_address: Any, handler_class: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(server_address, RawTargetRequestHandler, *args, **kwargs)


class Command(StaticRunserverCommand):
    server_cls = RawTargetWSGIServer

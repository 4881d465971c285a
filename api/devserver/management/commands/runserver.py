"""`runserver` that passes the raw request target as `RAW_URI`, as gunicorn does, so adapter
signatures verify in development over the same bytes as in production."""

from typing import Any

from django.contrib.staticfiles.management.commands.runserver import Command as StaticRunserverCommand
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer

from afx_sdk.wsgi import RawTargetRequestHandler as SdkRawTargetRequestHandler


class RawTargetRequestHandler(SdkRawTargetRequestHandler, WSGIRequestHandler):
    """Django's development handler with the SDK's `RAW_URI` (both extend the standard library's)."""


class RawTargetWSGIServer(WSGIServer):
    """Django's development server, handing each request to `RawTargetRequestHandler`
    (`django.core.servers.basehttp.run` names its own handler class, so it is swapped here)."""

    def __init__(self, server_address: Any, handler_class: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(server_address, RawTargetRequestHandler, *args, **kwargs)


class Command(StaticRunserverCommand):
    server_cls = RawTargetWSGIServer

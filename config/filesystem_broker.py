"""The embedded default's broker: kombu's file-system transport, with atomic writes.

kombu writes a message file in place while a consumer may already be moving and reading it,
so under a burst a worker can read an empty file and die (celery/kombu#1551). Writing to a
hidden temporary name and renaming it into place, which is atomic on one file system, means a
consumer only ever sees whole messages.
"""

from __future__ import annotations

import os
import uuid
from time import monotonic
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        # A leading dot and no `.<queue>.msg` ending: consumers skip it until it is renamed.
        temporary = os.path.join(self.data_folder_out, f".{uuid.uuid4()}.part")
        try:
            with open(temporary, "wb") as message:
                message.write(str_to_bytes(dumps(payload)))
            os.replace(temporary, final)
        except OSError as error:
            raise ChannelError(f"Cannot add a message to {self.data_folder_out!r}") from error


class Transport(filesystem.Transport):
    Channel = Channel

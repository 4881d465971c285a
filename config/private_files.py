"""Folders and files only their owner may read: the embedded default's `var/` and the key files.

`var/` holds the SQLite database (every case), the master key that unwraps every data key,
the audit signing key and the broker's messages. The folders are made 0700, which is the
root fix: nothing below an owner-only folder is reachable by other local users, whatever
the modes of the files inside. The files AFX creates are 0600 as well, so a file copied or
moved out keeps its privacy. Folders and files only: no umask is set, which would change
every file the process writes anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY_FOLDER = 0o700
OWNER_ONLY_FILE = 0o600


def private_folder(path: Path) -> Path:
    """Make `path` a folder only its owner may enter, tightening one that already exists."""
    path.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
    path.chmod(OWNER_ONLY_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """Make `path` a file only its owner may read, empty if it is new, tightening one that exists.

    For the SQLite database: SQLite would create it with the process umask (usually 0644);
    made first, it keeps 0600, and SQLite gives its -wal and -shm files the same mode.
    """
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, OWNER_ONLY_FILE))
    path.chmod(OWNER_ONLY_FILE)
    return path


def private_file_create(path: Path, content: bytes) -> bool:
    """Write a new file at `path` with mode 0600; False, leaving it alone, if it exists already.

    For key files made on first need. The content is written in full to a private temporary
    file and hard-linked into place, so a process racing us either wins or reads a complete
    file, never a half-written one. A missing parent folder is made owner-only.
    """
    path.parent.mkdir(mode=OWNER_ONLY_FOLDER, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY_FILE)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    try:
        os.link(draft, path)
    except FileExistsError:
        return False
    finally:
        draft.unlink()
    return True

"""Make an adapter's Ed25519 key pair, on the partner's side: `python -m afx_sdk.keygen FILE`.

The private key is written to FILE, created owner-only (0600) and never overwritten; the
public key is printed, for the partner to hand to the AFX administrator, who registers it
(`manage.py key_create PARTNER --public-key ...`). AFX never sees the private key, so nobody
there can sign as the partner's adapter. With `-` instead of FILE the bare private key (one
line, nothing else) goes to standard output and the warning and public key to standard
error: for piping it straight into a secret store.

An adapter built on the SDK passes the key's text to `signing.load_private_key`; the
simulator's command line also takes `AFX_PRIVATE_KEY=@FILE` to read it from FILE.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TextIO

from afx_sdk import signing

OWNER_ONLY = 0o600


def private_key_write(path: str, private_key_text: str) -> None:
    """Create `path` owner-only and write the key to it; FileExistsError if it exists, so an
    earlier key (perhaps registered already) is never lost."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
    with os.fdopen(descriptor, "w") as file:
        file.write(private_key_text + "\n")


def main(argv: Sequence[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m afx_sdk.keygen", description="Make an AFX adapter key pair (Ed25519)."
    )
    parser.add_argument(
        "private_key_file", help="Where to write the private key (created 0600), or - for standard output."
    )
    args = parser.parse_args(argv)
    private_key = signing.generate_private_key()
    private_text, public_text = signing.private_key_text(private_key), signing.public_key_text(private_key)
    if args.private_key_file == "-":
        stderr.write(
            "Warning: the private key is on standard output; keep it secret, it signs as your adapter.\n"
        )
        stdout.write(f"{private_text}\n")
        stderr.write(f"Public key to register with AFX: {public_text}\n")
        return 0
    try:
        private_key_write(args.private_key_file, private_text)
    except FileExistsError:
        stderr.write(f"{args.private_key_file} exists; not overwritten (it may hold a registered key).\n")
        return 1
    except OSError as error:
        stderr.write(f"Cannot write {args.private_key_file}: {error.strerror}.\n")
        return 1
    stderr.write(f"Private key written to {args.private_key_file} (owner-only); keep it there.\n")
    stdout.write(f"{public_text}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

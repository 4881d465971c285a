"""Reading AFX's systemd units (`deploy/systemd/`), so a test can check them with systemd's own
verifier and run them under a real process supervisor (supervisord), where no systemd runs.

The units are read as systemd reads them: `EnvironmentFile`, `${VAR}` in command lines,
`%i` (the instance) and `%H` (the host). Only what the units use is understood; anything
else in a command line is refused, so a unit cannot quietly mean something else here.
"""

from __future__ import annotations

import configparser
import re
import socket
from dataclasses import dataclass
from pathlib import Path

UNITS = Path(__file__).resolve().parents[2] / "deploy" / "systemd"
INSTALL_DIR, ENV_FILE = "/opt/afx", "/etc/afx/afx.env"


@dataclass(frozen=True)
class Unit:
    name: str
    exec_start: list[str]
    working_directory: str
    environment_file: str
    restart: str
    type: str


def read_unit(path: Path, instance: str = "") -> Unit:
    parser = configparser.ConfigParser(strict=False, interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    lines: dict[str, list[str]] = {}
    section = ""
    for raw in path.read_text().splitlines():  # ExecStart may repeat: keep each, in order
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
        elif line and not line.startswith("#") and section == "Service":
            key, _, value = line.partition("=")
            lines.setdefault(key, []).append(value)
    name = path.name.replace("@", f"@{instance}") if instance else path.name
    return Unit(
        name=name.removesuffix(".service"),
        exec_start=lines.get("ExecStart", []),
        working_directory=lines["WorkingDirectory"][0],
        environment_file=lines["EnvironmentFile"][0],
        restart=lines.get("Restart", ["no"])[0],
        type=lines.get("Type", ["simple"])[0],
    )


def read_environment(path: Path) -> dict[str, str]:
    return {
        key: value
        for key, _, value in (line.partition("=") for line in path.read_text().splitlines())
        if key and not key.startswith("#")
    }


def command_line(line: str, environment: dict[str, str], instance: str) -> str:
    """One ExecStart line as systemd would run it: `${VAR}`, `%i`, `%H` expanded."""
    expanded = re.sub(r"\$\{(\w+)\}", lambda m: environment[m.group(1)], line)
    expanded = expanded.replace("%i", instance).replace("%H", socket.gethostname())
    if re.search(r"%[a-zA-Z]|\$\w", expanded):
        raise ValueError(f"a specifier this reader does not know: {line}")
    return expanded


def relocated(text: str, root: Path, env_file: Path) -> str:
    """A unit's text with the install folder and the environment file moved, and run as the
    current user: what a copy for `systemd-analyze verify` here needs."""
    text = text.replace(INSTALL_DIR, str(root)).replace(ENV_FILE, str(env_file))
    return re.sub(r"^(User|Group)=afx$", r"\1=root", text, flags=re.MULTILINE)

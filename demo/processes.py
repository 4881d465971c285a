"""Child processes of the demo, the benchmark and the live test suites, started and stopped one way.

Each runs from the repository's root with its output (standard error too) in a log file of
its own, which is the evidence when it fails: nothing of it is printed here. A group stops
its processes together: all are asked to end (SIGTERM) before any is waited for, so their
shutdowns overlap, and one that does not end in time is killed.

Only the standard library and httpx: the live suites and the benchmark import this without
setting Django up.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

ROOT = Path(__file__).resolve().parents[1]
T = TypeVar("T")


class NotReady(RuntimeError):
    """What was awaited did not happen: a watched process exited first, or time ran out."""

    def __init__(self, message: str, exited: Process | None = None) -> None:
        super().__init__(message)
        self.exited = exited


@dataclass
class Process:
    name: str
    log: Path
    popen: subprocess.Popen[bytes]

    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float) -> None:
        """SIGTERM, and SIGKILL if it has not ended `timeout` seconds later."""
        self.popen.terminate()
        self.wait_or_kill(timeout)

    def wait_or_kill(self, timeout: float) -> None:
        """Wait for it to end, asked already; a process that does not end in time is killed."""
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(timeout)

    def kill(self, timeout: float) -> None:
        """SIGKILL, as a crash would end it, and wait for it to be gone."""
        self.popen.kill()
        self.popen.wait(timeout=timeout)


def start(
    name: str,
    command: Sequence[str],
    *,
    log: Path,
    env: Mapping[str, str] | None = None,
    append: bool = False,
) -> Process:
    """Start `command` in the repository's root, its output in `log`.

    `env` is the whole environment (None: this process's). `append` keeps what earlier runs
    wrote, so the evidence of a crash survives a restart; otherwise the log starts empty.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab" if append else "wb") as out:  # the child holds its own copy of the file
        popen = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
            list(command),
            cwd=ROOT,
            env=None if env is None else dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Process(name=name, log=log, popen=popen)


@dataclass
class ProcessGroup:
    """Processes started together and stopped together, also as a context manager."""

    stop_timeout: float
    processes: list[Process] = field(default_factory=list)

    def add(self, process: Process) -> Process:
        """`group.add(start(...))`: the group stops it with the others."""
        self.processes.append(process)
        return process

    def __iter__(self) -> Iterator[Process]:
        return iter(list(self.processes))

    def exited(self) -> Process | None:
        """A process of the group that has ended, if any."""
        return next((process for process in self if not process.running()), None)

    def stop(self) -> None:
        for process in self:
            process.popen.terminate()
        for process in self:
            process.wait_or_kill(self.stop_timeout)

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def wait_until(
    predicate: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.2,
    watch: Iterable[Process] = (),
    what: str = "the condition",
) -> T:
    """Poll `predicate` until it gives a true value, and return it.

    Fails (`NotReady`) at once when a watched process has exited, since what it was to do
    will not happen, and after `timeout` seconds.
    """
    watched = list(watch)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = next((process for process in watched if not process.running()), None)
        if exited is not None:
            raise NotReady(
                f"{exited.name} exited (code {exited.popen.returncode}) before {what}; see {exited.log}",
                exited,
            )
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise NotReady(f"{what} did not happen in {timeout:g} s")


def wait_for_url(
    url: str,
    *,
    timeout: float,
    statuses: Collection[int] | None = None,
    request_timeout: float = 1.0,
    watch: Iterable[Process] = (),
) -> None:
    """Until a GET of `url` answers with one of `statuses` (None: with anything at all)."""

    def answers() -> bool:
        try:
            status = httpx.get(url, timeout=request_timeout).status_code
        except httpx.HTTPError:
            return False
        return statuses is None or status in statuses

    wait_until(answers, timeout=timeout, watch=watch, what=f"{url} answered")


def worker_command(
    *,
    concurrency: int = 4,
    beat_schedule: Path | None = None,
    name: str = "",
    log_level: str = "warning",
    queues: Sequence[str] = (),
) -> list[str]:
    """The one command line of a Celery worker of the demo and the benchmarks.

    A thread pool: the tasks wait on HTTP and the database, not on the CPU. `beat_schedule`
    embeds beat in the worker (one process for the embedded stack); without it a separate
    `beat_command` runs the periodic tasks. `name` tells several workers on one host apart.
    `queues` (`-Q`) are those it serves; none, every queue of the settings (`celery` and
    `push_slow`), as the embedded stack's one worker does. A production stack runs workers of
    `celery` and workers of `push_slow`, so a slow partner's pushes take no thread of the first.
    """
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "threads"]
    command += ["-c", str(concurrency), "-l", log_level]
    if queues:
        command += ["-Q", ",".join(queues)]
    if beat_schedule is not None:
        command += ["-B", "-s", str(beat_schedule)]
    if name:
        command += ["-n", f"{name}@%h"]
    return command


def beat_command(schedule: Path, *, log_level: str = "warning") -> list[str]:
    """Celery beat on its own, beside workers started without it."""
    return [sys.executable, "-m", "celery", "-A", "config", "beat", "-l", log_level, "-s", str(schedule)]


def simulator_command(partner: str, mode: str, *, gateway: str, port: int | None = None) -> list[str]:
    """`python -m simulator` for one simulated partner (a platform or a bank).

    Every simulator gets the gateway's address: a pull one polls it, a push bank reads the
    units' signing keys from it; a push one listens on `port`. Keys go by environment only.
    """
    command = [sys.executable, "-m", "simulator", "--partner", partner, "--mode", mode, "--gateway", gateway]
    if mode == "push" and port is not None:
        command += ["--port", str(port)]
    return command


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on now (the kernel's pick)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

"""`manage.py demo`: the embedded default, from nothing to a lookup answered and its money
followed through the banks with stop-payments, in one command."""

from __future__ import annotations

import signal
import threading
from typing import Any

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import walkthrough
from demo.orders import traceable_order
from demo.stack import SIMULATED, SIMULATED_BANKS, SIMULATED_PLATFORMS, DemoStack, issue_simulator_keys
from demo.world import DEMO_PASSWORD, demo_world_exists
from privacy.masking import mask
from simulator.dataset import sample_order_numbers

SAMPLES = 5


class Command(BaseCommand):
    help = (
        "Seed the demo world if needed, start the gateway, a worker, two simulated platforms and "
        "three simulated banks, walk a lookup through each platform and trace one lookup's money "
        "with stop-payments, and keep serving until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Exit after the walkthrough.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if demo_world_exists():
            self.stdout.write("The demo world is already seeded; its sign-ins are in README.md.")
        else:
            call_command("seed_demo", stdout=self.stdout)
        stack = DemoStack(keys=issue_simulator_keys())
        self.stdout.write(
            f"Starting the gateway on {stack.url}, a Celery worker, simulated platforms "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED_PLATFORMS.items())}) and banks "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED_BANKS.items())}); "
            f"logs in {stack.logs}"
        )
        try:
            stack.start()
            self._walk_through(stack)
            if not options["no_serve"]:
                self._serve(stack)
        finally:
            stack.stop()

    def _walk_through(self, stack: DemoStack) -> None:
        officer = walkthrough.sign_in(stack.url, "cq.officer")
        case = walkthrough.open_case(officer)
        self.stdout.write(f"\nWalkthrough: cq.officer opened case {case['number']}.")
        lookups = {}
        for partner in SIMULATED_PLATFORMS:
            order = traceable_order(partner)
            outcome = walkthrough.lookup(officer, case["id"], partner, order)
            query = outcome.query
            if query["status"] != "answered":
                raise CommandError(f"The {partner} lookup ended {query['status']} ({query['reason']}).")
            lookups[partner] = query
            result = query["result"]
            self.stdout.write(
                f"  order {mask('order_number', order)} at {partner} ({SIMULATED[partner]}): answered in "
                f"{outcome.seconds * 1000:.0f} ms -> {result['bank']} {result['account_number']} "
                f"{result['holder_name']} ({result['amount']} yuan)"
            )
        self._trace(officer, stack.url, case["id"], lookups[next(iter(SIMULATED_PLATFORMS))])
        url = stack.url
        running = f"AFX is running: API {url}/api/v1/, docs {url}/api/v1/docs/, admin {url}/admin/"
        self.stdout.write(self.style.SUCCESS(f"\n{running}"))
        self.stdout.write(f"Sign in as cq.officer (or any demo person) with the password {DEMO_PASSWORD!r}.")
        for partner in SIMULATED_PLATFORMS:
            self.stdout.write(
                f"Order numbers to try at {partner}: {', '.join(sample_order_numbers(partner, SAMPLES))}"
            )

    def _trace(self, officer: httpx.Client, url: str, case_id: str, lookup: dict[str, Any]) -> None:
        """Follow the money of one lookup through the banks, stopping payment where it still is."""
        self.stdout.write(
            f"  tracing the {lookup['partner']} lookup's money through the banks, with stop-payments"
        )
        try:
            figures = walkthrough.trace(officer, case_id, lookup["id"])
        except TimeoutError as error:
            raise CommandError(f"{error} See the logs of the banks and the worker.") from error
        last = figures.seconds_to_last_stop
        self.stdout.write(
            f"  trace finished: {figures.tiers} tiers, {figures.accounts} accounts, "
            f"{figures.transfers} transfers; stop-payments {figures.stops_sent} sent, "
            f"{figures.stops_stopped} stopped, {figures.amount_stopped} yuan stopped; last stop-payment "
            + (f"answered {last:.1f} s after the trace started" if last is not None else "not answered")
        )
        self.stdout.write(f"  its graph: {url}/api/v1/traces/{figures.trace['id']}/")

    def _serve(self, stack: DemoStack) -> None:
        self.stdout.write("Press Ctrl-C to stop.")
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        while not stopped.wait(1):
            dead = stack.dead_process()
            if dead and not stopped.is_set():
                raise CommandError(f"The demo's {dead} stopped; see {stack.logs / (dead + '.log')}")

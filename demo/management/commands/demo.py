"""`manage.py demo`: the embedded default, from nothing to a lookup answered, in one command."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import walkthrough
from demo.stack import SIMULATED, DemoStack, issue_simulator_keys
from demo.world import DEMO_PASSWORD, demo_world_exists
from privacy.masking import mask
from simulator.dataset import sample_order_numbers

SAMPLES = 5


class Command(BaseCommand):
    help = (
        "Seed the demo world if needed, start the gateway, a worker and two simulated platforms, "
        "walk one lookup through, and keep serving until interrupted."
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
            f"Starting the gateway on {stack.url}, a Celery worker and simulated platforms "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED.items())}); "
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
        for partner in SIMULATED:
            order = sample_order_numbers(partner, 1)[0]
            outcome = walkthrough.lookup(officer, case["id"], partner, order)
            query = outcome.query
            if query["status"] != "answered":
                raise CommandError(f"The {partner} lookup ended {query['status']} ({query['reason']}).")
            result = query["result"]
            self.stdout.write(
                f"  order {mask('order_number', order)} at {partner} ({SIMULATED[partner]}): answered in "
                f"{outcome.seconds * 1000:.0f} ms -> {result['bank']} {result['account_number']} "
                f"{result['holder_name']} ({result['amount']} yuan)"
            )
        url = stack.url
        running = f"AFX is running: API {url}/api/v1/, docs {url}/api/v1/docs/, admin {url}/admin/"
        self.stdout.write(self.style.SUCCESS(f"\n{running}"))
        self.stdout.write(f"Sign in as cq.officer (or any demo person) with the password {DEMO_PASSWORD!r}.")
        for partner in SIMULATED:
            self.stdout.write(
                f"Order numbers to try at {partner}: {', '.join(sample_order_numbers(partner, SAMPLES))}"
            )

    def _serve(self, stack: DemoStack) -> None:
        self.stdout.write("Press Ctrl-C to stop.")
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        while not stopped.wait(1):
            dead = stack.dead_process()
            if dead and not stopped.is_set():
                raise CommandError(f"The demo's {dead} stopped; see {stack.logs / (dead + '.log')}")

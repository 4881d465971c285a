"""`manage.py demo`: the embedded default, from nothing to a lookup answered and its money
followed through the banks with stop-payments, its account listed on the watchlist and
checked by a bank, a number blocked by the telecom, and the centre's figures and the
gateway's metrics read, in one command."""

from __future__ import annotations

import signal
import threading
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from demo import walkthrough
from demo.orders import traceable_order
from demo.stack import (
    SIMULATED,
    SIMULATED_BANKS,
    SIMULATED_PLATFORMS,
    SIMULATED_TELECOMS,
    DemoStack,
    issue_simulator_keys,
)
from demo.world import DEMO_PASSWORD, demo_world_complete, demo_world_exists
from privacy.masking import mask
from simulator.dataset import sample_order_numbers

SAMPLES = 5
CENTRES_TIME = ZoneInfo("Asia/Shanghai")
CHECKING_BANK = "bank-east"
TELECOM = next(iter(SIMULATED_TELECOMS))
# The fraud caller's number the walkthrough has blocked: not one the telecom blocked already.
BLOCKED_NUMBER = "+86 189 0230 6110"


def centres_today() -> date:
    return datetime.now(CENTRES_TIME).date()


class Command(BaseCommand):
    help = (
        "Seed the demo world if needed, start the gateway, a worker, two simulated platforms, "
        "three simulated banks and a simulated telecom, walk a lookup through each platform, trace "
        "one lookup's money with stop-payments, list its account on the watchlist and check it, "
        "block a number, read the figures and the metrics, and keep serving until interrupted."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Exit after the walkthrough.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if demo_world_exists():
            self.stdout.write("The demo world is already seeded; its sign-ins are in README.md.")
            demo_world_complete()  # the partners added to the demo since it was seeded
        else:
            call_command("seed_demo", stdout=self.stdout)
        stack = DemoStack(keys=issue_simulator_keys())
        self.stdout.write(
            f"Starting the gateway on {stack.url}, a Celery worker, simulated platforms "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED_PLATFORMS.items())}) and banks "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED_BANKS.items())}) and a telecom "
            f"({', '.join(f'{code} ({mode})' for code, mode in SIMULATED_TELECOMS.items())}); "
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
        first_day = centres_today()
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
        self._watchlist(stack, case, lookups)
        self._block(officer, case["id"])
        self._figures(officer, first_day)
        self._metrics(stack)
        url = stack.url
        running = f"AFX is running: API {url}/api/v1/, docs {url}/api/v1/docs/, admin {url}/admin/"
        self.stdout.write(self.style.SUCCESS(f"\n{running}"))
        self.stdout.write(f"Sign in as cq.officer (or any demo person) with the password {DEMO_PASSWORD!r}.")
        signed_in = walkthrough.console_sign_in(url, "cq.officer", DEMO_PASSWORD)
        self.stdout.write(
            f"The console: {url}/console/ (cq.officer or cq.supervisor, the same password; the "
            "walkthrough's case is under Cases; the second factor is optional in the demo). "
            f"cq.officer signed in there: {signed_in}."
        )
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

    def _watchlist(self, stack: DemoStack, case: dict[str, Any], lookups: dict[str, dict[str, Any]]) -> None:
        """The supervisor lists the traced lookup's account (the trace's tier 1) as a mule's,
        counter-only; bank-east's adapter checks it beside the other lookup's account."""
        supervisor = walkthrough.sign_in(stack.url, "cq.supervisor")
        traced, other = (lookups[partner] for partner in SIMULATED_PLATFORMS)
        listed = walkthrough.revealed_account(supervisor, traced["id"])
        unlisted = walkthrough.revealed_account(supervisor, other["id"])
        entry = walkthrough.watchlist_list(supervisor, case["id"], listed)
        self.stdout.write(
            f"  cq.supervisor listed account {mask('account', listed)} on the watchlist: "
            f"{entry['reason']}, {entry['restriction']}, until {entry['expires_at'][:10]} "
            f"({entry['cases']} case{'' if entry['cases'] == 1 else 's'})"
        )
        with stack.adapter_client(CHECKING_BANK) as adapter:
            results = walkthrough.watchlist_check(adapter, [listed, unlisted])
        for account, result in zip([listed, unlisted], results, strict=True):
            self.stdout.write(
                f"  {CHECKING_BANK} checked account {mask('account', account)}: "
                f"listed: {str(result['listed']).lower()}, restriction: {result['restriction'] or 'none'}"
            )

    def _block(self, officer: httpx.Client, case_id: str) -> None:
        """The officer has the fraud caller's number blocked by the telecom for 90 days."""
        given = {"phone_number": BLOCKED_NUMBER, "reason": "fraud_call", "period_days": 90}
        outcome = walkthrough.ask(officer, case_id, TELECOM, "number_block", given)
        query = outcome.query
        if query["status"] != "answered":
            raise CommandError(f"The {TELECOM} number block ended {query['status']} ({query['reason']}).")
        result = query["result"]
        until = f" until {result['until'][:10]}" if result.get("until") else ""
        refused = f" ({result['refusal_reason']})" if result.get("refusal_reason") else ""
        self.stdout.write(
            f"  number {mask('phone', BLOCKED_NUMBER)} at {TELECOM} ({SIMULATED[TELECOM]}): answered in "
            f"{outcome.seconds * 1000:.0f} ms -> {result['outcome']}{until}{refused}"
        )

    def _figures(self, officer: httpx.Client, first_day: date) -> None:
        """cq-afc's figures for the walkthrough's days (the centres' own, Asia/Shanghai)."""
        last_day = centres_today()
        figures = walkthrough.centre_figures(officer, first_day, last_day)
        queries = sum(row["count"] for row in figures["queries"])
        self.stdout.write(
            f"  cq-afc's figures for {first_day}"
            + (f" to {last_day}" if last_day != first_day else "")
            + f": {queries} queries, {figures['traces_started']} traces started, "
            f"{figures['traces_finished']} finished; {figures['stops_made']} stops made, "
            f"{figures['amount_stopped']} yuan stopped; {figures['number_blocks_answered']} number blocks "
            f"answered, {figures['numbers_blocked']} numbers blocked; watchlist: "
            f"{figures['watchlist']['active']} on the list, {figures['watchlist']['hits']} hits"
        )

    def _metrics(self, stack: DemoStack) -> None:
        """What a Prometheus scraper holding the demo's token reads (the token is not printed)."""
        lines = walkthrough.metrics_served(stack.url, stack.metrics_token)
        self.stdout.write(f"  {stack.url}/metrics served {len(lines)} afx_ metric lines to its scraper")

    def _serve(self, stack: DemoStack) -> None:
        self.stdout.write("Press Ctrl-C to stop.")
        stopped = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stopped.set())
        while not stopped.wait(1):
            dead = stack.dead_process()
            if dead and not stopped.is_set():
                raise CommandError(f"The demo's {dead} stopped; see {stack.logs / (dead + '.log')}")

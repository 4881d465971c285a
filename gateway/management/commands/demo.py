"""`manage.py demo`: the embedded default, from nothing to a running gateway in one command."""

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from partners.demo_world import demo_world_exists

ADDRESS = "127.0.0.1:8000"


class Command(BaseCommand):
    help = "Migrate, seed the demo world if needed, and serve the API, its docs and the admin until interrupted."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-serve", action="store_true", help="Set up and seed, then exit.")
        parser.add_argument("--addrport", default=ADDRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        if demo_world_exists():
            self.stdout.write("The demo world is already seeded; its sign-ins are in README.md.")
        else:
            call_command("seed_demo", stdout=self.stdout)
        url = f"http://{options['addrport']}"
        self.stdout.write(
            self.style.SUCCESS(f"AFX is ready: API {url}/api/v1/, docs {url}/api/v1/docs/, admin {url}/admin/")
        )
        if not options["no_serve"]:
            call_command("runserver", options["addrport"], use_reloader=False)

from typing import Any

from django.core.management.base import CommandError, CommandParser

from demo.world import DEMO_PASSWORD, demo_world_exists, seed_demo_world
from partners.management.base import RegistryCommand


class Command(RegistryCommand):
    help = (
        "Build the demo world (partners, people of every role, grants, adapter keys) and print its sign-ins."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--password", default=DEMO_PASSWORD, help="Password of every demo person.")

    def handle(self, *args: Any, **options: Any) -> None:
        if demo_world_exists():
            raise CommandError("The demo world is already seeded (partner afx-ops exists).")
        world = seed_demo_world(password=options["password"])
        self.stdout.write(
            self.style.SUCCESS(f"Seeded the demo world: {len(world.people)} people, {world.grants} grants.")
        )
        self.stdout.write(f"Sign in as any of these with the password {options['password']!r}:")
        self.table(["USERNAME", "PARTNER", "ROLE"], [list(p) for p in world.people])
        self.stdout.write(
            "Adapter keys, made here as the demo partners would (shown once; AFX keeps only public keys):"
        )
        self.table(
            ["PARTNER", "AFX_KEY_ID", "AFX_PRIVATE_KEY"],
            [[code, held.key.key_id, held.private_key] for code, held in world.keys.items()],
        )

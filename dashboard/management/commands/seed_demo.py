"""Create the demo team (admin, manager, agent) and the catalogue entries the sandbox
knows: only while the platform is the sandbox."""

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from dashboard.services.catalogue import catalogue_demo_create
from dashboard.services.team import DEMO_ACCOUNTS, demo_team_create


class Command(BaseCommand):
    help = (
        "Create the demo accounts admin, manager and agent, and the templates and flows "
        "the sandbox knows (sandbox mode only)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Also restore the demo accounts' password, role and activity, and the "
            "sandbox's templates and flows as they were seeded.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.TECHNOWIZ_SANDBOX:
            raise CommandError(
                "Refusing to create demo accounts: a real platform is configured "
                "(TECHNOWIZ_BASE_URL is set). Demo logins exist only with the sandbox."
            )
        demo_team_create(password=settings.DEMO_PASSWORD, reset=options["reset"])
        created = catalogue_demo_create(reset=options["reset"])
        names = ", ".join(username for username, _ in DEMO_ACCOUNTS)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo accounts ready: {names} (new ones get DEMO_PASSWORD; "
                "seed_demo --reset restores changed ones)."
            )
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Catalogue ready: the sandbox's templates and flows ({created} added now)."
            )
        )

"""``manage.py audit_prune --before DATE``: remove whole sealed blocks older than DATE."""

import getpass
from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from technowiz.pruning import PruneRefused, audit_prune


class Command(BaseCommand):
    help = (
        "Remove the oldest whole sealed blocks of the audit log (calls and actions) whose "
        "rows are all older than DATE (UTC midnight); records what went so the rest verifies."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="a date, YYYY-MM-DD (UTC)")
        parser.add_argument(
            "--by", default=None, help="who is pruning (default: the operating system user)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            day = datetime.strptime(options["before"], "%Y-%m-%d")
        except ValueError:
            raise CommandError("--before must be a date as YYYY-MM-DD, e.g. 2025-01-01.") from None
        who = options["by"] or f"{getpass.getuser()} (shell)"
        try:
            result = audit_prune(before=day.replace(tzinfo=UTC), username=who)
        except PruneRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(result.summary)

"""``manage.py run_scheduler``: queue the periodic jobs (audit sealing, rating history)
for the worker, each once per interval, however many schedulers run."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError, close_old_connections

from dashboard.scheduler import schedule_due


class Command(BaseCommand):
    help = "Queue periodic jobs for the worker (safe to run on several hosts at once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Queue what is due, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            try:
                for name in schedule_due():
                    self.stdout.write(f"queued {name}")
            except DatabaseError as error:  # the database is away: try again next tick
                if options["once"]:
                    raise
                self.stderr.write(f"scheduler: the database did not answer ({error})")
            if options["once"]:
                return
            time.sleep(settings.SCHEDULER_TICK_SECONDS)
            close_old_connections()  # a database restart between ticks is survived

"""``manage.py audit_seal``: seal every final audit row not sealed yet."""

from typing import Any

from django.core.management.base import BaseCommand

from technowiz.sealing import audit_seal, sealed_counts


class Command(BaseCommand):
    help = "Seal completed audit rows in hash-chained blocks (safe to run concurrently)."

    def handle(self, *args: Any, **options: Any) -> None:
        sealed = audit_seal()
        total, unsealed = sealed_counts()
        self.stdout.write(
            f"Sealed {sealed} new rows; {total} rows sealed in all, {unsealed} not sealed yet."
        )

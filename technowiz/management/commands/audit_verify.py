"""``manage.py audit_verify``: recompute every seal; exit 1 and say what is wrong if any."""

from typing import Any

from django.core.management.base import BaseCommand

from technowiz.sealing import audit_verify


class Command(BaseCommand):
    help = "Verify the audit log's seals and hash chain; exits 1 when it was tampered with."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit_verify()
        if not report.ok:
            for problem in report.problems:
                self.stderr.write(problem)
            self.stderr.write(report.summary)
            raise SystemExit(1)
        self.stdout.write(report.summary)
        if report.last_seal_hash:
            self.stdout.write(f"Latest seal hash: {report.last_seal_hash}")

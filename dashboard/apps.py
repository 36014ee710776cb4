from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Support dashboard"

    def ready(self) -> None:
        from dashboard import (
            checks,  # noqa: F401  (registers the system checks)
            signals,  # noqa: F401  (sign-in and sign-out into the action log)
        )

"""Project system checks: what ``check --deploy`` does not look at by itself."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def csp_is_strict(app_configs: object, **kwargs: object) -> list[Error]:
    policy = getattr(settings, "SECURE_CSP", {}) or {}
    errors = []
    if "django.middleware.csp.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        errors.append(Error("The CSP middleware is not installed.", id="dashboard.E001"))
    scripts = [str(v) for v in policy.get("script-src", policy.get("default-src", []))]
    # Named only to refuse them: a policy allowing inline or eval'd scripts fails the check.
    if not policy or any(v in ("'unsafe-inline'", "'unsafe-eval'") for v in scripts):
        errors.append(
            Error(
                "SECURE_CSP must exist and forbid inline and eval'd scripts.",
                id="dashboard.E002",
            )
        )
    return errors

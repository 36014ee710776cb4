"""How a view declares the permission it needs (403 otherwise, never a hidden link only)."""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.decorators import permission_required

from dashboard.roles import PERMISSIONS, perm


def requires(codename: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view so that it answers 403 unless the person holds ``codename``."""
    if codename not in PERMISSIONS:
        raise ValueError(f"Unknown permission {codename!r}")
    return permission_required(perm(codename), raise_exception=True)

"""What happens after a send: a seeded script of who never gets it, who replies, who rates again.

The real platform may answer "success" for a template that never reaches the phone, and
people answer or rate again later; the dashboard finds out only by reading conversations
back. This script makes the sandbox do the same, deterministically. One grammar
everywhere (constructor, ``TECHNOWIZ_SANDBOX_AFTERMATH``, ``--aftermath``, the control
endpoint): items separated by ``,`` or ``;``, each ``name=value``::

    lost=0.1     that share of recipients never get the template or the flow's message
    reply=0.3    that share of the others reply (a USER TEXT message)
    rerate=0.2   that share of the others rate again (a USER FEEDBACK message, and their
                 rating attribute changes to it)
    rating=4     the new rating (1-5, default 5)
    after=60     seconds after the send when the reply and the new rating come (default 0);
                 they show in the conversation only once the sandbox's clock has got there
    seed=3       the script's seed (default 0)

Each recipient's fate is drawn from ``random.Random(f"{seed}:{send}:{user_id}")``, where
``send`` is the broadcast id or the flow key: the same send to the same person always
ends the same way, in whatever order the requests arrive.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from dataclasses import dataclass

ENV_VAR = "TECHNOWIZ_SANDBOX_AFTERMATH"
_SHARES = ("lost", "reply", "rerate")


@dataclass(frozen=True)
class Fate:
    """What happens to one recipient of one send."""

    lost: bool
    replied: bool
    rerated: int | None  # the new rating, if they rate again


@dataclass(frozen=True)
class Aftermath:
    lost: float = 0.0
    reply: float = 0.0
    rerate: float = 0.0
    rating: int = 5
    after: float = 0.0
    seed: int = 0

    @classmethod
    def parse(cls, spec: str) -> Aftermath:
        """Parse a spec string; raise ``ValueError`` naming the bad item."""
        values: dict[str, object] = {}
        for raw in spec.replace(";", ",").split(","):
            item = raw.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip()
            if not sep or name not in (*_SHARES, "rating", "after", "seed"):
                raise ValueError(f"unknown aftermath item {item!r}")
            try:
                number = float(value) if name in (*_SHARES, "after") else int(value)
            except ValueError:
                raise ValueError(f"aftermath item {item!r} needs a number") from None
            if name in _SHARES and not 0 <= number <= 1:
                raise ValueError(f"aftermath {name} must be a share between 0 and 1")
            if name == "rating" and not 1 <= number <= 5:
                raise ValueError("aftermath rating must be 1-5")
            if name == "after" and number < 0:
                raise ValueError("aftermath after must be >= 0 seconds")
            values[name] = number
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Aftermath:
        return cls.parse((environ if environ is not None else os.environ).get(ENV_VAR, ""))

    def __str__(self) -> str:
        default = Aftermath()
        return ",".join(
            f"{name}={getattr(self, name):g}"
            for name in (*_SHARES, "rating", "after", "seed")
            if getattr(self, name) != getattr(default, name)
        )

    @property
    def scripted(self) -> bool:
        return any(getattr(self, name) for name in _SHARES)

    def fate(self, user_id: str, send: str) -> Fate:
        """The fate of ``user_id`` for the send named ``send`` (a broadcast id, a flow key)."""
        rng = random.Random(f"{self.seed}:{send}:{user_id}")
        lost, reply, rerate = rng.random(), rng.random(), rng.random()
        if lost < self.lost:
            return Fate(lost=True, replied=False, rerated=None)
        return Fate(
            lost=False,
            replied=reply < self.reply,
            rerated=self.rating if rerate < self.rerate else None,
        )

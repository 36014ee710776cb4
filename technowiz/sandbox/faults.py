"""Switchable faults: latency, 5xx, 429, timeouts, HTML pages, malformed JSON, 401/403.

One grammar everywhere (constructor, ``TECHNOWIZ_SANDBOX_FAULTS``, the
``X-Sandbox-Fault`` request header, the fault script): items separated by ``,``
or ``;``, each ``name`` or ``name=value``::

    latency=20                fixed latency, ms
    latency=10-50             random latency, uniform, ms (seeded RNG)
    status=503                answer this HTTP status (plain-text body)
    retry_after=2             with status=429 (or throttle_rate): the Retry-After header
    timeout[=SECONDS]         no answer: stall, then drop the connection
    stall=SECONDS             how long ``timeout`` / ``timeout_rate`` stall (default 35)
    html500                   500 with an HTML error page
    malformed                 200 with a truncated JSON body
    revoked                   401, as if the key had been revoked
    forbidden                 403, as if the feature were not on the plan
    broadcast_failure         500 with the JSON envelope of code 2000 FAILURE
    ok                        a normal answer (useful inside a script)
    error_rate=0.1            that share of requests answer 500, 502 or 503
    throttle_rate=0.05        that share answer 429 (Retry-After: retry_after, default 1)
    timeout_rate=0.01         that share stall
    malformed_rate=0.01       that share answer a truncated JSON body
    seed=3                    seed of the fault RNG (default 0)

Which spec applies to a request: the next entry of the *script* if any (see
:meth:`Faults.push`), else the request's ``X-Sandbox-Fault`` header, else
nothing; the process spec's latency applies unless the per-request spec sets
its own, and the process spec's rates are rolled unless the per-request spec
names an action (``ok`` included).

Side effects: ``status``, ``html500``, ``revoked``, ``forbidden`` and
``broadcast_failure`` answer before the request is handled (nothing happens);
``timeout`` and ``malformed`` handle the request first (a broadcast *is* sent)
and then lose or garble the answer: the "outcome unknown" case a client must
record instead of retrying.
"""

from __future__ import annotations

import os
import random
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

ENV_VAR = "TECHNOWIZ_SANDBOX_FAULTS"
DEFAULT_STALL_SECONDS = 35.0

_FLAGS = ("html500", "malformed", "revoked", "forbidden", "broadcast_failure", "ok")
_RATES = ("error_rate", "throttle_rate", "timeout_rate", "malformed_rate")


@dataclass(frozen=True)
class FaultSpec:
    """A parsed fault spec (see the module docstring for the grammar)."""

    latency_ms: tuple[float, float] | None = None
    status: int | None = None
    retry_after: str | None = None
    timeout: float | None = None
    stall: float = DEFAULT_STALL_SECONDS
    html500: bool = False
    malformed: bool = False
    revoked: bool = False
    forbidden: bool = False
    broadcast_failure: bool = False
    ok: bool = False
    error_rate: float = 0.0
    throttle_rate: float = 0.0
    timeout_rate: float = 0.0
    malformed_rate: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse a spec string; raise ``ValueError`` naming the bad item."""
        values: dict[str, object] = {}
        for raw in spec.replace(";", ",").split(","):
            item = raw.strip()
            if not item:
                continue
            name, has_value, value = (part.strip() for part in item.partition("="))
            name = name.lower()
            try:
                values.update(_parse_item(name, value if has_value else None))
            except (ValueError, TypeError) as exc:
                raise ValueError(f"bad sandbox fault {item!r}: {exc}") from None
        return cls(**values)  # type: ignore[arg-type]

    @property
    def has_action(self) -> bool:
        """Whether this spec decides the answer itself (rather than leaving it to rates)."""
        return bool(
            self.status
            or self.timeout is not None
            or self.html500
            or self.malformed
            or self.revoked
            or self.forbidden
            or self.broadcast_failure
            or self.ok
        )

    def __str__(self) -> str:
        parts: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value == f.default:
                continue
            if f.name == "latency_ms":
                low, high = value
                parts.append(f"latency={low:g}" if low == high else f"latency={low:g}-{high:g}")
            elif value is True or (f.name == "timeout" and value < 0):
                parts.append(f.name)
            else:
                parts.append(f"{f.name}={value}")
        return ",".join(parts)


def _parse_item(name: str, value: str | None) -> dict[str, object]:
    if name in _FLAGS:
        if value is not None:
            raise ValueError("takes no value")
        return {name: True}
    if name == "timeout":  # bare ``timeout``: stall for ``stall`` seconds (-1 marks "unset")
        return {"timeout": float(value) if value else -1.0}
    if value is None or value == "":
        raise ValueError("needs a value")
    if name == "latency":
        low, _, high = value.partition("-")
        bounds = (float(low), float(high or low))
        if bounds[0] < 0 or bounds[1] < bounds[0]:
            raise ValueError("latency must be MS or MIN-MAX with 0 <= MIN <= MAX")
        return {"latency_ms": bounds}
    if name == "status":
        status = int(value)
        if not 100 <= status <= 599:
            raise ValueError("status must be 100..599")
        return {"status": status}
    if name == "retry_after":
        return {"retry_after": value}
    if name == "stall":
        return {"stall": float(value)}
    if name == "seed":
        return {"seed": int(value)}
    if name in _RATES:
        rate = float(value)
        if not 0.0 <= rate <= 1.0:
            raise ValueError("a rate is between 0 and 1")
        return {name: rate}
    raise ValueError("unknown fault")


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request.

    ``kind`` is one of ``none``, ``status``, ``html500``, ``revoked``,
    ``forbidden``, ``broadcast_failure`` (answer early, nothing handled),
    ``timeout``, ``malformed`` (handle, then lose / garble the answer).
    """

    kind: str = "none"
    delay_seconds: float = 0.0
    status: int | None = None
    retry_after: str | None = None
    stall_seconds: float = 0.0


def _to_spec(spec: str | FaultSpec | None) -> FaultSpec:
    if spec is None:
        return FaultSpec()
    return spec if isinstance(spec, FaultSpec) else FaultSpec.parse(spec)


class Faults:
    """The process-wide fault spec, plus a script of upcoming one-shot faults.

    Thread-safe. ``Faults()`` injects nothing; ``Faults("latency=20")`` delays
    every answer; ``Faults.from_env()`` reads ``TECHNOWIZ_SANDBOX_FAULTS``.
    """

    def __init__(self, spec: str | FaultSpec | None = None, *, seed: int = 0) -> None:
        self._initial = _to_spec(spec)
        self._seed = seed
        self._lock = threading.Lock()
        self._spec = self._initial
        self._script: deque[FaultSpec] = deque()
        self._rng = random.Random(self._initial.seed if self._initial.seed is not None else seed)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Faults:
        """Faults from ``TECHNOWIZ_SANDBOX_FAULTS`` (empty or unset: none)."""
        env = os.environ if environ is None else environ
        return cls(env.get(ENV_VAR, ""))

    @property
    def spec(self) -> FaultSpec:
        """The current process-wide spec."""
        return self._spec

    @property
    def script(self) -> list[str]:
        """The pending script entries, as spec strings."""
        with self._lock:
            return [str(entry) or "ok" for entry in self._script]

    def configure(self, spec: str | FaultSpec | None) -> None:
        """Replace the process-wide spec (``""`` or None: no faults)."""
        parsed = _to_spec(spec)
        with self._lock:
            self._spec = parsed
            if parsed.seed is not None:
                self._rng = random.Random(parsed.seed)

    def push(self, *specs: str | FaultSpec) -> None:
        """Queue one-shot faults for the next requests, in order (``"ok"`` = normal)."""
        parsed = [_to_spec(spec) for spec in specs]
        parsed = [
            spec if spec.has_action or spec.latency_ms else replace(spec, ok=True)
            for spec in parsed
        ]
        with self._lock:
            self._script.extend(parsed)

    def clear_script(self) -> None:
        """Drop the pending script."""
        with self._lock:
            self._script.clear()

    def reset(self) -> None:
        """Back to the constructor's spec, an empty script and a reseeded RNG."""
        with self._lock:
            self._spec = self._initial
            self._script.clear()
            seed = self._initial.seed if self._initial.seed is not None else self._seed
            self._rng = random.Random(seed)

    def decide(self, header: str | None = None) -> FaultDecision:
        """Decide the fault for one request (consumes a script entry if any).

        Raises ``ValueError`` for an unparsable ``header``.
        """
        with self._lock:
            one_shot = self._script.popleft() if self._script else None
        if one_shot is None and header:
            one_shot = FaultSpec.parse(header)
        with self._lock:
            return self._decide(one_shot, self._spec)

    def _decide(self, one_shot: FaultSpec | None, process: FaultSpec) -> FaultDecision:
        latency = one_shot.latency_ms if one_shot and one_shot.latency_ms else process.latency_ms
        delay = self._rng.uniform(*latency) / 1000.0 if latency else 0.0
        if one_shot is not None and one_shot.has_action:
            return _action(one_shot, delay)
        if process.has_action:
            return _action(process, delay)
        rates = (
            one_shot
            if one_shot is not None and any(getattr(one_shot, rate) for rate in _RATES)
            else process
        )
        roll = self._rng.random()
        if roll < (edge := rates.timeout_rate):
            return FaultDecision("timeout", delay, stall_seconds=rates.stall)
        if roll < (edge := edge + rates.error_rate):
            return FaultDecision("status", delay, status=self._rng.choice((500, 502, 503)))
        if roll < (edge := edge + rates.throttle_rate):
            return FaultDecision("status", delay, status=429, retry_after=rates.retry_after or "1")
        if roll < edge + rates.malformed_rate:
            return FaultDecision("malformed", delay)
        return FaultDecision("none", delay)


def _action(spec: FaultSpec, delay: float) -> FaultDecision:
    if spec.timeout is not None:
        stall = spec.timeout if spec.timeout >= 0 else spec.stall
        return FaultDecision("timeout", delay, stall_seconds=stall)
    for kind in ("revoked", "forbidden", "html500", "broadcast_failure", "malformed"):
        if getattr(spec, kind):
            return FaultDecision(kind, delay)
    if spec.status:
        return FaultDecision("status", delay, status=spec.status, retry_after=spec.retry_after)
    return FaultDecision("none", delay)

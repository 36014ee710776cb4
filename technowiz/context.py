"""Who is acting on the platform right now: recorded on every audit row.

The web middleware sets it per request (the signed-in person and a request id);
a background job sets it to the person who launched the job and the job id.
With nothing set, calls are recorded as ``system``: never dropped.
Threads do not inherit context variables by themselves: a fan-out must run its
work in ``contextvars.copy_context()``.
"""

import contextvars
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    username: str
    origin: str  # "web:<request id>", "job:<job id>" or "system"

    @property
    def is_system(self) -> bool:
        return self.origin == "system"


SYSTEM = Actor(user_id=None, username="system", origin="system")

_actor: contextvars.ContextVar[Actor] = contextvars.ContextVar("technowiz_actor", default=SYSTEM)


def current_actor() -> Actor:
    return _actor.get()


@contextmanager
def acting_as(actor: Actor) -> Iterator[Actor]:
    """Record every platform call made inside the block as made by ``actor``."""
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


def new_request_id() -> str:
    return uuid.uuid4().hex


def in_this_context[T](iterable: Iterable[T]) -> Iterator[T]:
    """Iterate ``iterable`` later (a streamed response) in the context of *now*.

    A streamed export reads pages from the platform after the view has returned and
    the request's middleware has reset the actor: without this, those calls would be
    recorded as ``system``. The context is copied here, at call time (this is not a
    generator function, or the copy would be taken at the first step, too late); each
    step then runs in that copy.
    """
    context = contextvars.copy_context()
    iterator = iter(iterable)

    def steps() -> Iterator[T]:
        while True:
            try:
                item = context.run(next, iterator)
            except StopIteration:
                return
            yield item

    return steps()

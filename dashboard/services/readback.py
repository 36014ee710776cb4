"""Read-backs: what became of a run, read from each recipient's conversation and rating.

The platform accepts a broadcast or a trigger and says nothing more; a template may never
arrive. Once a run has ended, rounds of read-backs (``RUN_READBACK_AFTER`` after its end)
read each sent or unknown recipient's conversation from just before the send, and the
rating attribute, and record in ``Outcome``:

- reached: the template (its name, or its text as this person got it) or the flow's
  first message is in the conversation after the send;
- replied: a message from the user after it;
- re-rated: a rating newer than the send (its value), from a feedback message, or from
  the rating attribute when it changed without one.

An ``unknown`` recipient (the worker stopped during the call) who was reached is
``sent``; one still not reached after the last round is marked so, for a person to
re-send or drop.

Read-backs run on the worker as ``dashboard.tasks.read_back``, at a lower priority than
people's sends, in batches of ``RUN_READBACK_BATCH`` recipients (then the task hands the
worker back and queues the next batch), paced to ``RUN_READBACK_SHARE`` of the platform's
rate limit so that people's pages keep the rest. Every call goes through the client and
is audited as the system acting for the run (origin ``job:run-<id>:readback-<round>``).
"""

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from dashboard.models import BroadcastPart, Outcome, ReadBack, Recipient, Run
from dashboard.models.runs import SENT, UNKNOWN
from dashboard.selectors.conversations import PLATFORM_PAGE, conversation_messages
from dashboard.selectors.matched_set import UserFilter
from dashboard.selectors.outcomes import user_id_of
from dashboard.services.mapping import values_for
from dashboard.services.runs import run_sources
from technowiz.client import get_client
from technowiz.context import Actor, acting_as
from technowiz.errors import TechnowizError
from technowiz.types import ConversationPage, Message

logger = logging.getLogger("dashboard.readback")

STARS = ("1", "2", "3", "4", "5")
# The platform stamps a message during the call; we record the send after it.
SKEW = timedelta(minutes=2)
CONFIRMED = "Confirmed by a read-back: it is in their conversation."
NOT_REACHED = (
    "Not in their conversation {window} after the run: it did not reach them. Re-send or drop."
)


def readbacks_schedule(run: Run, *, ended_at: datetime) -> None:
    """Queue the run's read-back rounds; call it in the transaction that ends the run, so
    an ended run is never committed without them."""
    from dashboard.tasks import read_back

    for number, seconds in enumerate(settings.RUN_READBACK_AFTER, start=1):
        due = ended_at + timedelta(seconds=seconds)
        _, created = ReadBack.objects.get_or_create(
            run=run, number=number, defaults={"due_at": due}
        )
        if created:
            read_back.using(run_after=due).enqueue(run.pk, number)


def _lease_seconds() -> float:
    """Long enough for one chunk's slowest read with its retries."""
    per_call = settings.TECHNOWIZ_CONNECT_TIMEOUT + settings.TECHNOWIZ_READ_TIMEOUT
    return 2 * per_call * (settings.TECHNOWIZ_MAX_RETRIES + 1) + 30


def readback_work(*, run_id: int, number: int) -> None:
    """One batch of round ``number`` of run ``run_id``; queues the next batch itself."""
    from dashboard.tasks import read_back

    round_ = _take(run_id, number)
    if round_ is None:
        return
    # Should this worker die, a follow-up takes the round over when the lease ends.
    read_back.using(run_after=round_.lease_until + timedelta(seconds=1)).enqueue(run_id, number)
    run = round_.run
    batch = list(
        Recipient.objects.filter(run=run, state__in=(SENT, UNKNOWN))
        .exclude(outcome__rounds__gte=number)
        .order_by("pk")[: settings.RUN_READBACK_BATCH]
    )
    if not batch:
        _finish(round_)
        return
    actor = Actor(None, "system", f"job:run-{run.pk}:readback-{number}")
    with acting_as(actor):
        ratings = _ratings()
        for chunk in _paced(batch):
            checked, failed = _read_chunk(run, number, chunk, ratings)
            ReadBack.objects.filter(pk=round_.pk).update(
                checked=round_.checked + checked,
                failed=round_.failed + failed,
                lease_until=timezone.now() + timedelta(seconds=_lease_seconds()),
            )
            round_.checked, round_.failed = round_.checked + checked, round_.failed + failed
    with transaction.atomic():
        ReadBack.objects.filter(pk=round_.pk).update(lease_until=None)
        read_back.enqueue(run_id, number)  # the next batch (or the round's end)


def _take(run_id: int, number: int) -> ReadBack | None:
    """The round, leased to this worker; None when it is done or another worker has it."""
    with transaction.atomic():
        round_ = (
            ReadBack.objects.select_for_update(of=("self",))
            .select_related("run", "run__template", "run__flow")
            .filter(run_id=run_id, number=number)
            .first()
        )
        now = timezone.now()
        if round_ is None or round_.finished_at or (round_.lease_until or now) > now:
            return None
        round_.lease_until = now + timedelta(seconds=_lease_seconds())
        round_.started_at = round_.started_at or now
        round_.save(update_fields=["lease_until", "started_at"])
    return round_


def _finish(round_: ReadBack) -> None:
    """The round is done; after the last one, an unknown recipient not reached is told so."""
    last = not ReadBack.objects.filter(run=round_.run, number__gt=round_.number).exists()
    with transaction.atomic():
        ReadBack.objects.filter(pk=round_.pk).update(finished_at=timezone.now(), lease_until=None)
        if last:
            window = _in_words(round_.due_at - (round_.run.finished_at or round_.due_at))
            Recipient.objects.filter(
                run=round_.run, state=UNKNOWN, outcome__reached_at__isnull=True
            ).update(reason=NOT_REACHED.format(window=window))
    logger.info("run %s: read-back %s done", round_.run_id, round_.number)


def _in_words(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = round(seconds / size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} second{'s' if seconds != 1 else ''}"


def _paced(batch: Sequence[Recipient]) -> Iterator[list[Recipient]]:
    """Chunks of half the client's concurrency, no faster than the read-backs' share of
    the rate limit: the limiter's burst and the other slots stay free for people."""
    size = max(settings.TECHNOWIZ_MAX_CONCURRENCY // 2, 1)
    pace = settings.RUN_READBACK_SHARE * settings.TECHNOWIZ_RATE_LIMIT
    for start in range(0, len(batch), size):
        began = time.monotonic()
        chunk = list(batch[start : start + size])
        yield chunk
        if pace > 0:
            time.sleep(max(len(chunk) / pace - (time.monotonic() - began), 0))


def _ratings() -> dict[str, int]:
    """user id -> current rating, from the rating attribute's lists (kept for
    ``USERS_CACHE_SECONDS`` like the users page's); empty when the platform failed."""
    from dashboard.selectors.users import users_matching_each

    attribute = settings.TECHNOWIZ_RATING_ATTRIBUTE
    try:
        sets = users_matching_each([UserFilter(attribute, (stars,)) for stars in STARS])
    except TechnowizError as error:
        logger.warning("read-back: the rating lists could not be read: %s", error.message)
        return {}
    return {user.user_id: int(s.filter.values[0]) for s in sets for user in s.users}


def _since(run: Run, recipient: Recipient) -> datetime:
    return (recipient.sent_at or run.launched_at or run.created_at) - SKEW


def _read_chunk(
    run: Run, number: int, chunk: list[Recipient], ratings: dict[str, int]
) -> tuple[int, int]:
    """Read and record one chunk; returns (checked, failed)."""
    client = get_client()
    calls, answers = [], {}
    for recipient in chunk:
        try:
            call = client.conversation_call(
                user_id_of(recipient), start=_since(run, recipient), page_size=PLATFORM_PAGE
            )
        except TechnowizError as error:
            answers[recipient.pk] = error
        else:
            calls.append((recipient, call))
    for (recipient, _), answer in zip(calls, client.gather([c for _, c in calls]), strict=True):
        answers[recipient.pk] = answer
    failed = 0
    matches = _matcher(run)
    Outcome.objects.bulk_create(
        [Outcome(recipient=r, run=run, rating_before=_rating(r.attributes)) for r in chunk],
        ignore_conflicts=True,
    )
    outcomes = Outcome.objects.in_bulk([r.pk for r in chunk])
    for recipient in chunk:
        answer, outcome = answers[recipient.pk], outcomes[recipient.pk]
        if isinstance(answer, ConversationPage):
            try:
                messages = list(
                    conversation_messages(
                        user_id=user_id_of(recipient),
                        start=_since(run, recipient),
                        end=None,
                        first=answer,
                    )
                )
            except TechnowizError as error:
                answer = error
        if isinstance(answer, TechnowizError):
            failed += 1
            outcome.problem = f"The read-back could not read the conversation: {answer.message}"
        else:
            outcome.problem = ""
            _seen(outcome, messages, since=_since(run, recipient), matches=matches(recipient))
            _rated(outcome, ratings.get(user_id_of(recipient)))
        outcome.rounds, outcome.checked_at = number, timezone.now()
    with transaction.atomic():
        Outcome.objects.bulk_update(
            outcomes.values(),
            [
                "rounds",
                "checked_at",
                "problem",
                "reached_at",
                "reached_message",
                "replied_at",
                "replied_message",
                "rerated_at",
                "rerated_value",
                "rerated_message",
            ],
        )
        _reconcile(run, [r for r in chunk if outcomes[r.pk].reached_at])
    return len(chunk), failed


def _rating(attributes: dict) -> int | None:
    value = str((attributes or {}).get(settings.TECHNOWIZ_RATING_ATTRIBUTE, "")).strip()
    return int(value) if value in STARS else None


def _matcher(run: Run) -> Callable[[Recipient], Callable[[Message], bool]]:
    """recipient -> "is this message what the run sent them?"."""
    if run.is_broadcast:
        template, slots, sources = run.template, run.slots, run_sources(run)

        def for_recipient(r: Recipient) -> Callable[[Message], bool]:
            values = values_for(slots, sources, name=r.name, phone=r.phone, attributes=r.attributes)
            text = template.render(values).strip() if template else None
            file = f"{run.name}-part-{r.part}"

            def is_it(m: Message) -> bool:
                payload = m.payload or {}
                by_name = (
                    template is not None
                    and m.type == "TEMPLATE"
                    and payload.get("template_name") == template.name
                )
                by_text = bool(text) and (m.text or "").strip() == text
                return (by_name or by_text) and payload.get("broadcast_id") in (None, file)

            return is_it

        return for_recipient
    key = run.flow.key if run.flow else ""

    def flow_message(m: Message) -> bool:
        # The flow's messages carry its key where the platform labels them; otherwise
        # the first bot message after the trigger is the flow's.
        return (m.payload or {}).get("flow_key", key) == key

    return lambda r: flow_message


@dataclass(frozen=True)
class _Found:
    reached: Message | None
    replied: Message | None
    rerated: Message | None


def conversation_outcome(
    messages: Sequence[Message], *, since: datetime, matches: Callable[[Message], bool]
) -> _Found:
    """What the messages after ``since`` say: the send arrived, a reply, a newer rating."""
    after = [m for m in messages if m.timestamp >= since]
    reached = next((m for m in after if m.sender == "BOT" and matches(m)), None)
    if reached is not None:
        after = [m for m in after if m.timestamp > reached.timestamp]
    user = [m for m in after if m.sender == "USER"]
    replied = next((m for m in user if m.type != "FEEDBACK"), None)
    ratings = [m for m in user if m.type == "FEEDBACK" and _stars(m) is not None]
    return _Found(reached, replied, ratings[-1] if ratings else None)


def _stars(message: Message) -> int | None:
    value = (message.payload or {}).get("rating")
    return value if isinstance(value, int) and 1 <= value <= 5 else None


def _seen(
    outcome: Outcome,
    messages: Sequence[Message],
    *,
    since: datetime,
    matches: Callable[[Message], bool],
) -> None:
    """Record what this read found; what an earlier round found stays."""
    found = conversation_outcome(messages, since=since, matches=matches)
    if found.reached and not outcome.reached_at:
        outcome.reached_at = found.reached.timestamp
        outcome.reached_message = found.reached.message_id[:200]
    if found.replied and not outcome.replied_at:
        outcome.replied_at = found.replied.timestamp
        outcome.replied_message = found.replied.message_id[:200]
    if found.rerated:
        outcome.rerated_at = found.rerated.timestamp
        outcome.rerated_value = _stars(found.rerated)
        outcome.rerated_message = found.rerated.message_id[:200]


def _rated(outcome: Outcome, now: int | None) -> None:
    """A rating attribute that changed with no feedback message to show for it."""
    if outcome.rerated_message or now is None or outcome.rating_before in (None, now):
        return
    if outcome.rerated_value != now:
        outcome.rerated_value, outcome.rerated_at = now, timezone.now()


def _reconcile(run: Run, reached: list[Recipient]) -> None:
    """Unknown recipients who were reached were sent (and so was their broadcast file)."""
    unknown = [r.pk for r in reached if r.state == UNKNOWN]
    if not unknown:
        return
    Recipient.objects.filter(pk__in=unknown, state=UNKNOWN).update(state=SENT, reason=CONFIRMED)
    parts = {r.part for r in reached if r.state == UNKNOWN and r.part}
    if parts:
        BroadcastPart.objects.filter(run=run, number__in=parts, state=UNKNOWN).update(
            state=SENT, reason=CONFIRMED
        )

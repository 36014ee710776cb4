"""The queue's columns of a users export."""

from collections.abc import Iterator, Sequence

from django.db.models import Count

from dashboard.models import QueueItem, QueueNote
from dashboard.models.queue import NEW, STATE_LABELS
from dashboard.selectors.queue import person_name
from technowiz.types import User

QUEUE_COLUMNS = ["queue_state", "assignee", "notes", "last_note"]


def queue_export_rows(
    header: list[str], rows: Iterator[list[object]], *, users: Sequence[User]
) -> tuple[list[str], Iterator[list[object]]]:
    """``header`` and ``rows`` (one a user of ``users``, in order) with the queue's columns.

    The queue's rows are read whole (they exist only for users someone touched), not by
    the exported ids: an export can hold more ids than a query may name.
    """
    items = {
        item.user_id: item
        for item in QueueItem.objects.select_related("assignee").only(
            "user_id",
            "state",
            "assignee__username",
            "assignee__first_name",
            "assignee__last_name",
        )
    }
    counts = dict(QueueNote.objects.values_list("user_id").annotate(n=Count("id")))
    last = dict(QueueNote.objects.order_by("created_at", "id").values_list("user_id", "text"))

    def with_queue() -> Iterator[list[object]]:
        for user, row in zip(users, rows, strict=True):
            item = items.get(user.user_id)
            yield [
                *row,
                STATE_LABELS[item.state if item else NEW],
                person_name(item.assignee) if item and item.assignee else "",
                counts.get(user.user_id, 0),
                last.get(user.user_id, ""),
            ]

    return [*header, *QUEUE_COLUMNS], with_queue()

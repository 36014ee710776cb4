"""The site's own data: the team, the selection, the catalogue, and the runs that send."""

from dashboard.models.catalogue import Flow, WhatsAppTemplate
from dashboard.models.queue import (
    LowRatingSeen,
    QueueItem,
    QueueNote,
    RatingSnapshot,
    ScheduledSlot,
    UserOpened,
)
from dashboard.models.readback import Outcome, ReadBack
from dashboard.models.runs import BroadcastPart, Recipient, Run, RunLease
from dashboard.models.team import SelectedUser, TeamMember, UserSelection, validate_time_zone

__all__ = [
    "BroadcastPart",
    "Flow",
    "LowRatingSeen",
    "Outcome",
    "QueueItem",
    "QueueNote",
    "RatingSnapshot",
    "ReadBack",
    "Recipient",
    "Run",
    "RunLease",
    "ScheduledSlot",
    "SelectedUser",
    "TeamMember",
    "UserOpened",
    "UserSelection",
    "WhatsAppTemplate",
    "validate_time_zone",
]

"""The site's own data: the team, the selection, the catalogue, and the runs that send."""

from dashboard.models.catalogue import Flow, WhatsAppTemplate
from dashboard.models.readback import Outcome, ReadBack
from dashboard.models.runs import BroadcastPart, Recipient, Run, RunLease
from dashboard.models.team import SelectedUser, TeamMember, UserSelection, validate_time_zone

__all__ = [
    "BroadcastPart",
    "Flow",
    "Outcome",
    "ReadBack",
    "Recipient",
    "Run",
    "RunLease",
    "SelectedUser",
    "TeamMember",
    "UserSelection",
    "WhatsAppTemplate",
    "validate_time_zone",
]

"""People's actions sealed in the same chain as the calls, and retention by whole blocks
(``manage.py audit_prune``): what remains still verifies, and says where it starts."""

from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from technowiz.models import ActionRecord, AuditPrune, AuditSeal, OutboundCall
from technowiz.pruning import audit_prune
from technowiz.sealing import audit_seal, audit_verify
from tests.conftest import make_call, tamper

pytestmark = pytest.mark.django_db


def make_action(*, age: timedelta = timedelta(minutes=1), **fields) -> ActionRecord:
    values = {
        "created_at": timezone.now() - age,
        "username": "admin1",
        "origin": "web:abc",
        "action": "export.users",
        "detail": {"rows": 3},
    }
    values.update(fields)
    return ActionRecord.objects.create(**values)


def _history(days: int) -> None:
    """A call and an action each day, ``days`` days back to yesterday, oldest first."""
    for day in range(days, 0, -1):
        make_call(age=timedelta(days=day, hours=1))
        make_action(age=timedelta(days=day))


def test_calls_and_actions_are_sealed_together_in_time_order():
    _history(3)
    assert audit_seal(block_size=2) == 6
    seals = list(AuditSeal.objects.order_by("number"))
    assert [(s.row_count, s.actions_count) for s in seals] == [(1, 1)] * 3
    report = audit_verify()
    assert report.ok and (report.sealed_rows, report.unsealed_rows, report.seals) == (6, 0, 3)


def test_an_action_edited_after_sealing_is_named():
    _history(2)
    audit_seal(block_size=2)
    action = ActionRecord.objects.order_by("id").last()
    tamper("UPDATE technowiz_actionrecord SET username = 'nobody' WHERE id = %s", [action.pk])
    report = audit_verify()
    assert not report.ok
    assert report.problems == (f"Action #{action.pk} was changed after it was sealed (block #2).",)


def test_a_call_and_an_action_edited_are_both_named():
    _history(1)
    audit_seal()
    call, action = OutboundCall.objects.get(), ActionRecord.objects.get()
    tamper("UPDATE technowiz_outboundcall SET subject = '91999' WHERE id = %s", [call.pk])
    tamper("DELETE FROM technowiz_actionrecord WHERE id = %s", [action.pk])
    assert audit_verify().problems == (
        f"Row #{call.pk} was changed after it was sealed (block #1).",
        f"Action #{action.pk} is missing from block #1.",
    )


def test_an_action_slipped_in_before_the_last_seal_is_seen():
    _history(1)
    audit_seal()
    sealed = ActionRecord.objects.get()
    tamper("UPDATE technowiz_actionrecord SET id = %s WHERE id = %s", [sealed.pk + 10, sealed.pk])
    assert not audit_verify().ok


def test_an_unsealed_action_is_counted_as_not_sealed_yet():
    _history(1)
    audit_seal()
    make_action(age=timedelta(0))  # younger than the settle window
    assert audit_seal() == 0
    assert audit_verify().unsealed_rows == 1


# --- Pruning ------------------------------------------------------------------------------


def _days_ago(days: int) -> datetime:
    return (timezone.now() - timedelta(days=days)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def test_prune_removes_whole_old_blocks_and_what_remains_verifies(admin_member):
    _history(5)
    audit_seal(block_size=2)  # one block a day
    before = _days_ago(2)  # the blocks of 5, 4 and 3 days ago are wholly older
    result = audit_prune(before=before, username="admin1")
    record = AuditPrune.objects.get()
    assert (record.seals_from, record.seals_to, record.calls_removed, record.actions_removed) == (
        1,
        3,
        3,
        3,
    )
    assert record.user == admin_member and record.last_seal_hash
    assert result.summary.startswith("Pruned seals #1-#3: 3 calls")
    assert OutboundCall.objects.count() == 2 and ActionRecord.objects.count() == 2
    assert list(AuditSeal.objects.values_list("number", flat=True)) == [4, 5]
    report = audit_verify()
    assert report.ok, report.problems
    assert report.starts_at.startswith("Verified from seal #4: seals #1-#3")
    assert "by admin1" in report.summary
    # The chain carries on after the prune, and a second prune picks up where it stopped.
    make_call(age=timedelta(hours=2))
    assert audit_seal() == 1 and audit_verify().ok
    audit_prune(before=timezone.now() - timedelta(hours=3), username="admin1")
    assert AuditPrune.objects.count() == 2 and audit_verify().ok


def test_prune_refuses_rows_not_sealed_yet_and_removes_nothing():
    _history(3)
    audit_seal(block_size=2)
    make_action(age=timedelta(days=4))  # old, and not sealed: it came after the seals
    with pytest.raises(CommandError) as refused:
        call_command("audit_prune", "--before", _days_ago(1).strftime("%Y-%m-%d"))
    assert str(refused.value) == (
        f"0 calls and 1 actions before {_days_ago(1):%Y-%m-%d} are not sealed yet: run "
        "manage.py audit_seal first. Nothing was removed."
    )
    assert OutboundCall.objects.count() == 3 and ActionRecord.objects.count() == 4
    assert AuditSeal.objects.count() == 3 and not AuditPrune.objects.exists()


def test_prune_refuses_a_log_that_does_not_verify():
    _history(2)
    audit_seal(block_size=2)
    call = OutboundCall.objects.order_by("id").first()
    tamper("UPDATE technowiz_outboundcall SET status = 500 WHERE id = %s", [call.pk])
    with pytest.raises(CommandError, match="does not verify; pruning now would erase"):
        call_command("audit_prune", "--before", timezone.now().strftime("%Y-%m-%d"))
    assert OutboundCall.objects.count() == 2 and not AuditPrune.objects.exists()


def test_prune_keeps_a_block_that_reaches_past_the_date():
    _history(2)
    audit_seal()  # one block for both days
    assert audit_prune(before=_days_ago(1), username="x").record is None
    assert AuditSeal.objects.count() == 1 and audit_verify().ok


def test_prune_command_says_what_it_did(capsys):
    _history(2)
    audit_seal(block_size=2)
    call_command("audit_prune", "--before", _days_ago(1).strftime("%Y-%m-%d"), "--by", "ops")
    assert capsys.readouterr().out.startswith("Pruned seals #1-#1: 1 calls (up to #")
    assert AuditPrune.objects.get().username == "ops"
    with pytest.raises(CommandError, match="--before must be a date as YYYY-MM-DD"):
        call_command("audit_prune", "--before", "yesterday")


def test_removing_old_blocks_without_a_prune_record_is_tampering():
    _history(3)
    audit_seal(block_size=2)
    first = AuditSeal.objects.get(number=1)
    tamper("DELETE FROM technowiz_outboundcall WHERE id = %s", [first.first_id])
    tamper("DELETE FROM technowiz_actionrecord WHERE id = %s", [first.actions_first_id])
    tamper("DELETE FROM technowiz_auditseal WHERE number = 1", [])
    assert audit_verify().problems[0] == (
        "Seal #1 is missing: seal #2 follows the start of the chain: the chain was altered."
    )


def test_a_forged_prune_record_is_seen(settings):
    _history(3)
    audit_seal(block_size=2)
    audit_prune(before=_days_ago(2), username="admin1")
    tamper("UPDATE technowiz_auditprune SET seals_to = 2, calls_removed = 9", [])
    problems = audit_verify().problems
    assert problems[0].startswith("Prune record #1 was not made with this site's key")


# --- PostgreSQL's triggers ----------------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers are PostgreSQL's"
)


@postgresql_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE technowiz_actionrecord SET username = 'x'",
        "DELETE FROM technowiz_actionrecord",
        "UPDATE technowiz_auditprune SET username = 'x'",
        "DELETE FROM technowiz_auditprune",
    ],
)
def test_postgresql_refuses_changes_to_sealed_actions_and_prune_records(sql):
    _history(2)
    audit_seal(block_size=2)
    audit_prune(before=_days_ago(1), username="admin1")
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert audit_verify().ok


@postgresql_only
def test_postgresql_lets_only_a_prune_past_the_triggers():
    _history(2)
    audit_seal(block_size=2)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM technowiz_actionrecord")
    audit_prune(before=_days_ago(1), username="admin1")
    assert ActionRecord.objects.count() == 1 and audit_verify().ok
    # The session setting ended with the prune's transaction:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM technowiz_actionrecord")


def test_seals_made_before_the_action_log_still_verify_after_the_subject_backfill(settings):
    """A format-1 seal (calls only, no ``subject``) as the previous release made it; the
    migration then fills ``subject`` of the sealed conversation reads."""
    from technowiz import sealing

    call = make_call(action="conversation.page", path="/b/channel-user/%2B9198/conversations")
    rows = OutboundCall.objects.order_by("id").values_list(*sealing.FIELDS_V1)
    digest = sealing.digest_rows(rows, sealing.FIELDS_V1)
    seal = AuditSeal(
        number=1,
        format=1,
        first_id=call.pk,
        last_id=call.pk,
        row_count=1,
        rows_digest=digest.rows_digest,
        row_index=digest.row_index,
        created_at=timezone.now(),
        key_id=sealing.key_id_of(settings.AUDIT_SEAL_KEY),
    )
    seal.seal_hash = sealing.seal_hash_of(sealing.GENESIS, seal, settings.AUDIT_SEAL_KEY)
    seal.save()
    tamper("UPDATE technowiz_outboundcall SET subject = '+9198' WHERE id = %s", [call.pk])
    make_action()
    assert audit_seal() == 1  # the action, in a format-2 seal after it
    report = audit_verify()
    assert report.ok and report.seals == 2, report.problems
    tamper("UPDATE technowiz_outboundcall SET status = 500 WHERE id = %s", [call.pk])
    assert audit_verify().problems == (
        f"Row #{call.pk} was changed after it was sealed (block #1).",
    )

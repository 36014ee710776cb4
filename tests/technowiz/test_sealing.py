"""Tamper evidence: sealed blocks chained by hash, verified, and safe to seal concurrently."""

import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings

from technowiz.models import AuditSeal, ImmutableAuditRow, OutboundCall, stale_after
from technowiz.sealing import NEVER_COMPLETED, audit_seal, audit_verify, last_verification
from tests.conftest import make_call, tamper

pytestmark = pytest.mark.django_db


def raw(sql: str, params: list) -> None:
    tamper(sql, params)


def test_seal_then_verify_is_ok():
    calls = [make_call() for _ in range(12)]
    assert audit_seal(block_size=5) == 12
    assert list(AuditSeal.objects.values_list("number", "row_count")) == [(1, 5), (2, 5), (3, 2)]
    report = audit_verify()
    assert report.ok and report.problems == ()
    assert (report.sealed_rows, report.unsealed_rows, report.seals) == (12, 0, 3)
    assert AuditSeal.objects.get(number=1).first_id == calls[0].pk
    assert last_verification() == report


def test_sealing_twice_seals_nothing_new():
    for _ in range(3):
        make_call()
    assert audit_seal() == 3
    assert audit_seal() == 0
    assert AuditSeal.objects.count() == 1
    make_call()
    assert audit_seal() == 1
    assert AuditSeal.objects.count() == 2 and audit_verify().ok


def test_a_row_changed_by_raw_sql_is_named():
    calls = [make_call() for _ in range(10)]
    audit_seal(block_size=4)
    raw("UPDATE technowiz_outboundcall SET status = 500 WHERE id = %s", [calls[5].pk])
    report = audit_verify()
    assert not report.ok
    assert report.problems == (f"Row #{calls[5].pk} was changed after it was sealed (block #2).",)


def test_deleted_rows_are_reported_missing():
    calls = [make_call() for _ in range(10)]
    audit_seal(block_size=10)
    raw(
        "DELETE FROM technowiz_outboundcall WHERE id BETWEEN %s AND %s",
        [calls[2].pk, calls[4].pk],
    )
    report = audit_verify()
    assert report.problems == (f"Rows #{calls[2].pk}-#{calls[4].pk} are missing from block #1.",)


def test_a_row_slipped_into_a_sealed_block_is_reported():
    calls = [make_call() for _ in range(3)]
    audit_seal()
    raw("DELETE FROM technowiz_outboundcall WHERE id = %s", [calls[1].pk])
    assert "missing from block #1" in audit_verify().problems[0]


def test_an_altered_seal_breaks_the_chain():
    for _ in range(9):
        make_call()
    audit_seal(block_size=3)
    raw("UPDATE technowiz_auditseal SET row_count = 2 WHERE number = %s", [2])
    report = audit_verify()
    assert not report.ok
    assert "Seal #2 does not follow seal #1: the chain was altered." in report.problems


def test_a_removed_seal_is_reported():
    for _ in range(9):
        make_call()
    audit_seal(block_size=3)
    raw("DELETE FROM technowiz_auditseal WHERE number = %s", [2])
    problems = audit_verify().problems
    assert any(p.startswith("Seal #2 is missing: seal #3 follows seal #1") for p in problems)
    assert "Seal #3 does not follow seal #1: the chain was altered." in problems


def test_seals_refuse_edits_and_deletes_through_the_application():
    make_call()
    audit_seal()
    seal = AuditSeal.objects.get()
    with pytest.raises(ImmutableAuditRow):
        seal.save()
    with pytest.raises(ImmutableAuditRow):
        seal.delete()
    with pytest.raises(ImmutableAuditRow):
        AuditSeal.objects.update(row_count=0)
    with pytest.raises(ImmutableAuditRow):
        AuditSeal.objects.all().delete()


def test_pending_rows_are_not_sealed_until_final():
    done = make_call()
    pending = make_call(outcome="pending", status=None)
    after = make_call()
    assert audit_seal() == 1  # stops at the pending row
    assert AuditSeal.objects.get().last_id == done.pk
    OutboundCall.objects.complete_pending(pending.pk, outcome="ok", status=200)
    assert audit_seal() == 2
    assert AuditSeal.objects.order_by("number").last().last_id == after.pk
    assert audit_verify().ok


def test_rows_younger_than_the_settle_window_wait():
    make_call()
    make_call(age=timedelta(seconds=0))
    assert audit_seal() == 1
    assert audit_verify().unsealed_rows == 1


def test_a_stale_pending_row_is_closed_as_unknown_then_sealed_and_stays_so():
    dead = make_call(age=stale_after() + timedelta(minutes=1), outcome="pending", status=None)
    make_call()
    assert audit_seal() == 2
    closed = OutboundCall.objects.get(pk=dead.pk)
    assert closed.outcome == "unknown" and closed.detail == NEVER_COMPLETED
    # The late completion of the dead process's call is refused: the row is final.
    assert OutboundCall.objects.complete_pending(dead.pk, outcome="ok", status=200) == 0
    assert audit_verify().ok


def test_commands(capsys):
    calls = [make_call() for _ in range(3)]
    call_command("audit_seal")
    assert "Sealed 3 new rows" in capsys.readouterr().out
    call_command("audit_verify")
    assert "Audit log intact: 3 rows sealed in 1 blocks" in capsys.readouterr().out
    raw("UPDATE technowiz_outboundcall SET username = %s WHERE id = %s", ["x", calls[0].pk])
    with pytest.raises(SystemExit) as exit_info:
        call_command("audit_verify")
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert f"Row #{calls[0].pk} was changed after it was sealed (block #1)." in err


@pytest.fixture
def seals_removed_after():
    """A test that commits seals leaves none behind: the flush after it (TRUNCATE) is
    refused on PostgreSQL while the log is sealed."""
    yield
    raw("DELETE FROM technowiz_auditseal", [])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_sealing_keeps_one_consistent_chain(seals_removed_after):
    """Two threads (own connections) seal the same rows at once: one linear chain."""
    for _ in range(120):
        make_call()
    totals: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            for _ in range(5):
                totals.append(audit_seal(block_size=7))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(totals) == 120
    numbers = list(AuditSeal.objects.order_by("number").values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    report = audit_verify()
    assert report.ok, report.problems
    assert (report.sealed_rows, report.unsealed_rows) == (120, 0)


# --- the key, the witness and the triggers ----------------------------------------------


def _reseal_as_an_intruder(settings, key: str) -> None:
    """What someone who can write the database (but lacks the key) would do after an
    edit: remove the seals and seal again with the project's own functions."""
    raw("DELETE FROM technowiz_auditseal", [])
    with override_settings(
        AUDIT_SEAL_KEY=key, AUDIT_SEAL_WITNESS=settings.AUDIT_SEAL_WITNESS + ".x"
    ):
        audit_seal()


def test_a_row_edited_and_resealed_without_the_key_is_caught(settings):
    calls = [make_call() for _ in range(4)]
    audit_seal()
    raw(
        "UPDATE technowiz_outboundcall SET status = 200, detail = %s WHERE id = %s",
        ["", calls[1].pk],
    )
    _reseal_as_an_intruder(settings, "a guess at the key, long enough to pass for one")
    problems = audit_verify().problems
    assert problems[0].startswith("Seal #1 was made with a key this site does not have")


def test_a_forged_key_id_does_not_help(settings):
    for _ in range(3):
        make_call()
    audit_seal()
    real_id = AuditSeal.objects.get().key_id
    _reseal_as_an_intruder(settings, "another guess at the key, long enough to pass")
    raw("UPDATE technowiz_auditseal SET key_id = %s", [real_id])
    assert "Seal #1 was altered: its hash does not match its contents." in audit_verify().problems


def test_emptying_both_tables_is_seen_by_the_witness(settings, django_capture_on_commit_callbacks):
    for _ in range(5):
        make_call()
    with django_capture_on_commit_callbacks(execute=True):
        audit_seal(block_size=2)
    raw("DELETE FROM technowiz_auditseal", [])
    raw("DELETE FROM technowiz_outboundcall", [])
    report = audit_verify()
    assert not report.ok and report.sealed_rows == 0
    assert report.problems[0].startswith("Seal #3 (rows up to #")
    assert "is gone from the database, but the witness file" in report.problems[0]


def test_the_witness_keeps_the_latest_seal(settings, django_capture_on_commit_callbacks):
    for _ in range(3):
        make_call()
    with django_capture_on_commit_callbacks(execute=True):
        audit_seal(block_size=2)
    witness = json.loads(Path(settings.AUDIT_SEAL_WITNESS).read_text())
    latest = AuditSeal.objects.get(number=2)
    assert witness == {"number": 2, "last_id": latest.last_id, "seal_hash": latest.seal_hash}


def test_a_rotated_key_keeps_old_blocks_verifying(settings):
    old = settings.AUDIT_SEAL_KEY
    make_call()
    audit_seal()
    settings.AUDIT_SEAL_KEY = "the new key, kept outside the database as well"
    settings.AUDIT_SEAL_OLD_KEYS = [old]
    make_call()
    audit_seal()
    assert len(set(AuditSeal.objects.values_list("key_id", flat=True))) == 2
    assert audit_verify().ok
    settings.AUDIT_SEAL_OLD_KEYS = []
    assert (
        audit_verify().problems[0].startswith("Seal #1 was made with a key this site does not have")
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE technowiz_outboundcall SET status = 500",
        "DELETE FROM technowiz_outboundcall",
        "UPDATE technowiz_auditseal SET row_count = 0",
        "DELETE FROM technowiz_auditseal",
        "TRUNCATE technowiz_outboundcall, technowiz_auditseal",
    ],
)
def test_postgresql_refuses_changes_to_what_is_sealed(sql):
    from django.db import DatabaseError, transaction

    for _ in range(2):
        make_call()
    audit_seal()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for none
    with (
        pytest.raises(DatabaseError, match=r"append-only|is sealed"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert audit_verify().ok


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the triggers are PostgreSQL's")
def test_postgresql_lets_an_unsealed_row_be_completed():
    make_call()
    audit_seal()
    pending = make_call(outcome="pending", status=None)
    assert OutboundCall.objects.complete_pending(pending.pk, outcome="ok", status=200) == 1

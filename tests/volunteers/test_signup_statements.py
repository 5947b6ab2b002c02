"""A sign-up in few statements (issue 13, the sign-up rush): its row, its change record and
its outbox messages are written by one INSERT on PostgreSQL (``volunteers.inserts``), and
what is written is exactly what the ORM would have written."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory
from volunteers.inserts import insert_rows
from volunteers.models import Message, Signup, SignupChange

from .conftest import make_shift

pytestmark = pytest.mark.django_db


def writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(("INSERT",
                                                                               "WITH"))]


@pytest.mark.postgres
def test_a_sign_up_writes_its_row_change_and_messages_in_one_statement(client, volunteer):
    shift = make_shift(capacity=2)
    client.force_login(volunteer)

    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("shift_signup", args=[shift.pk]))

    assert response.status_code == 302
    signup = Signup.objects.get(shift=shift, volunteer=volunteer)
    assert signup.status == Signup.Status.CONFIRMED
    assert list(signup.changes.values_list("action", flat=True)) == ["signed_up"]
    kinds = sorted(Message.objects.filter(signup=signup).values_list("kind", flat=True))
    assert kinds[0] == "confirmation" and set(kinds[1:]) == {"reminder"} and len(kinds) > 1
    inserts = writes(queries.captured_queries)
    assert len(inserts) == 1, inserts
    for table in ("volunteers_signup", "volunteers_signupchange", "volunteers_message"):
        assert table in inserts[0]
    # The session, the person, the shift with its event, then: lock the person, their
    # sign-ups around the shift, lock the shift, count (and the new row's id), insert.
    statements = [q["sql"][:60] for q in queries.captured_queries
                  if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]
    assert len(statements) == 8, statements


@pytest.mark.postgres
def test_a_waitlist_join_writes_in_one_statement_too(client, volunteer):
    shift = make_shift(capacity=1)
    other = UserFactory()
    client.force_login(other)
    client.post(reverse("shift_signup", args=[shift.pk]))
    client.force_login(volunteer)

    with CaptureQueriesContext(connection) as queries:
        client.post(reverse("shift_signup", args=[shift.pk]))

    signup = Signup.objects.get(shift=shift, volunteer=volunteer)
    assert signup.status == Signup.Status.WAITLISTED
    assert list(Message.objects.filter(signup=signup).values_list("kind", flat=True)) == [
        "waitlisted"]
    assert len(writes(queries.captured_queries)) == 1


def test_insert_rows_writes_what_the_orm_writes(volunteer):
    """Every column, defaults and ``auto_now`` included, on both databases."""
    shift = make_shift(capacity=5)
    at = timezone.now().replace(microsecond=0)
    by_orm = Signup.objects.create(shift=shift, volunteer=UserFactory(), status="confirmed",
                                   confirmed_at=at, created_at=at)
    mine = Signup(shift=shift, volunteer=volunteer, status="confirmed", confirmed_at=at,
                  created_at=at)
    if connection.vendor == "postgresql":  # the caller chooses the id (a sequence's nextval)
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval(pg_get_serial_sequence('volunteers_signup', 'id'))")
            mine.pk = cursor.fetchone()[0]
        groups = [([mine], False)]
    else:
        mine.save()
        groups = []
    change = SignupChange(signup=mine, action="signed_up", by=volunteer, at=at)
    message = Message(kind="confirmation", recipient=volunteer, signup=mine,
                      event_id=shift.event_id, dedupe_key=f"confirmation:signup={mine.pk}:seq=0",
                      due_at=at, created_at=at)

    insert_rows(*groups, ([change], False), ([message], True))

    assert not mine._state.adding and not change._state.adding
    saved = Signup.objects.get(pk=mine.pk)
    skip = {"id", "volunteer", "updated_at"}
    assert ({k: v for k, v in model_to_dict(saved).items() if k not in skip}
            == {k: v for k, v in model_to_dict(by_orm).items() if k not in skip})
    assert saved.updated_at is not None
    assert abs(saved.updated_at - timezone.now()) < datetime.timedelta(minutes=1)
    assert list(saved.changes.values("action", "by", "at", "detail")) == [
        {"action": "signed_up", "by": volunteer.pk, "at": at, "detail": ""}]
    row = Message.objects.get(signup=saved)
    assert (row.kind, row.recipient_id, row.event_id, row.status, row.attempts, row.context,
            row.due_at, row.to_address) == ("confirmation", volunteer.pk, shift.event_id,
                                             "pending", 0, {}, at, "")


def test_insert_rows_skips_a_message_already_queued_and_keeps_the_rest(volunteer):
    shift = make_shift(capacity=5)
    signup = Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    Message.objects.create(kind="confirmation", recipient=volunteer, signup=signup,
                           dedupe_key="confirmation:signup=1:seq=0")
    again = Message(kind="confirmation", recipient=volunteer, signup=signup,
                    dedupe_key="confirmation:signup=1:seq=0")
    reminder = Message(kind="reminder", recipient=volunteer, signup=signup,
                       dedupe_key="reminder:signup=1:offset=60")

    with transaction.atomic():
        insert_rows(([SignupChange(signup=signup, action="signed_up")], False),
                    ([again, reminder], True))

    assert sorted(Message.objects.values_list("dedupe_key", flat=True)) == [
        "confirmation:signup=1:seq=0", "reminder:signup=1:offset=60"]
    assert signup.changes.count() == 1


def test_insert_rows_without_ignoring_conflicts_refuses_the_whole_statement(volunteer):
    shift = make_shift(capacity=5)
    Signup.objects.create(shift=shift, volunteer=volunteer, status="confirmed")
    twin = Signup(shift=shift, volunteer=volunteer, status="waitlisted")

    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows(([twin], False))

    assert Signup.objects.filter(shift=shift).count() == 1


def test_insert_rows_refuses_a_group_mixing_chosen_and_database_ids(volunteer):
    shift = make_shift(capacity=5)
    rows = [Signup(pk=10_000, shift=shift, volunteer=volunteer, status="confirmed"),
            Signup(shift=shift, volunteer=UserFactory(), status="confirmed")]

    with pytest.raises(ValueError, match="primary key"):
        insert_rows((rows, False))

    assert not Signup.objects.exists()


def test_signing_up_for_a_shift_that_does_not_exist_is_a_404(client, volunteer):
    client.force_login(volunteer)

    response = client.post(reverse("shift_signup", args=[987654]))

    assert response.status_code == 404
    assert not Signup.objects.exists() and not Message.objects.exists()


def test_the_sign_up_view_reads_the_shift_its_count_and_its_event(volunteer):
    from volunteers.selectors import shift_for_signup

    shift = make_shift(capacity=3)
    Signup.objects.create(shift=shift, volunteer=UserFactory(), status="confirmed")
    Signup.objects.create(shift=shift, volunteer=UserFactory(), status="waitlisted")

    read = shift_for_signup(shift.pk)

    assert (read.pk, read.capacity, read.confirmed_count) == (shift.pk, 3, 1)
    assert (read.event.pk, read.event.title) == (shift.event_id, shift.event.title)
    assert shift_for_signup(987654) is None


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.postgres
@pytest.mark.parametrize("threshold", [5, None])
def test_postgresql_prepares_the_sign_up_statements_once_per_connection(client, threshold,
                                                                       request):
    """After a few sign-ups on one connection, the statements every sign-up runs are
    prepared (parsed and planned once: half of PostgreSQL's work per sign-up), and stay
    so; with DATABASE_PREPARE_THRESHOLD off nothing is."""
    connection.ensure_connection()
    was = connection.connection.prepare_threshold
    request.addfinalizer(lambda: setattr(connection.connection, "prepare_threshold", was))
    connection.connection.prepare_threshold = threshold
    before = set(prepared_statements())  # this connection may have served other tests
    shifts = [make_shift(capacity=20) for _ in range(3)]
    for n in range(7):
        person = UserFactory()
        client.force_login(person)
        assert client.post(reverse("shift_signup", args=[shifts[n % 3].pk])).status_code == 302

    found = prepared_statements()

    assert Signup.objects.filter(status=Signup.Status.CONFIRMED).count() == 7
    if threshold is None:
        assert set(found) <= before
        return
    for start in ("SELECT id FROM volunteers_user WHERE id", "SELECT (SELECT count(*)",
                  "WITH q0 AS (INSERT INTO \"volunteers_signup\""):
        assert any(statement.startswith(start) for statement in found), (start, found)
    assert any("FROM volunteers_signup g" in statement for statement in found)
    assert any("FROM events_shift s JOIN events_event e" in statement for statement in found)

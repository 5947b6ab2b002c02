"""Who is asking, without a query: the logged-in person's row, their roles and their team
standing (the nav's "Teams" link) kept in the cache (Redis in production).

Every logged-in page asked PostgreSQL three things before showing anything: the person's row
(``django.contrib.auth.get_user``), their roles (``User.role_names``) and, for the nav,
whether they are in a team or invited to one (``team_tags._team_standing``); My shifts and
the event page asked a fourth, the events they have a place or an RSVP at
(``page_copies.my_event_ids``). On this machine each round trip costs about what the bare
view costs in all. ``AuthenticationMiddleware`` below reads all four from one cache entry,
``viewer:<format>:<user id>``, kept for ``VIEWER_SECONDS``, and checks the session's auth
hash against the kept row exactly as Django does (a changed password still logs every other
session out).

The entry is dropped by every change to what it holds (``receivers`` below): the person's
row, a role granted or taken back, a membership, an e-mail address, an invitation to one of
their addresses, a sign-up or RSVP of theirs. A role taken back counts from the next
request. The entry is dropped after the commit, together with a new value for the person's
counter (``viewer-version:<user id>``; one write for both). A page request
that found no entry reads the counter before the rows and again after keeping its entry,
and drops it if the counter moved, so a change committed while it read is never hidden (the
same protocol as ``events.feed_versions``). A form post that found none reads the rows and
keeps nothing: a sign-up in a rush costs what it cost without the cache. With the cache
down, every request reads the rows, as before; were a drop lost to an outage that outlives
the commit, the entry still ends after ``VIEWER_SECONDS``. ``VIEWER_CACHE = False`` (a
setting) turns it off.

The entry holds the person's row as Django loads it, password hash included, like the
sessions kept beside it: Redis is for the application's servers alone (README, Security).
"""

import functools
import logging
import secrets

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthentication
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Manager
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from . import rows as sql_rows
from .access import _versions

VIEWER_SECONDS = 60  # as long as a cached page: a drop lost to an outage lasts no longer

logger = logging.getLogger(__name__)


def _copy_key(user_id) -> str:
    return f"viewer:2:{int(user_id)}"  # the format of the entry, then whose


def version_key(user_id) -> str:
    """The person's own counter: renewed after the commit of any change to them."""
    return f"viewer-version:{int(user_id)}"

# Called with the user id after the commit of a change to the person, once their counter is
# renewed (events.feed_versions drops their feed's kept ETag).
after_person_changed: list = []


def _after_commit(user_id) -> None:
    # The counter renewed and the entry dropped in one round trip: an entry of None is none.
    try:
        cache.set_many({version_key(user_id): secrets.randbits(62),
                        _copy_key(user_id): None}, timeout=None)
    except Exception:  # the cache's outage: the entry ends with VIEWER_SECONDS
        logger.warning("Could not mark the viewer %s as changed", user_id, exc_info=True)
    for hook in after_person_changed:
        hook(user_id)


def viewer_changed(user_id) -> None:
    """What ``user_id``'s entry holds changed: drop it after the commit (module
    docstring); until then the entry is what is committed."""
    if user_id is None:
        return
    transaction.on_commit(lambda: _after_commit(user_id))


def _load(request, user_id, version):
    """Django's own ``get_user``, then the roles and team standing, kept as one entry."""
    from .page_copies import my_event_ids
    from .templatetags.team_tags import _team_standing

    user = auth.get_user(request)
    if not user.is_authenticated or str(user.pk) != str(user_id) or version is None:
        return user
    user.role_names  # noqa: B018 (a cached_property: kept with the row)
    # Names this entry: what is kept per person elsewhere (page_copies) is keyed by it, so
    # anything that drops the entry makes those copies stale too.
    user._viewer_generation = secrets.randbits(62)
    _team_standing(user)
    my_event_ids(user)
    try:
        cache.set(_copy_key(user_id), user, VIEWER_SECONDS)
        if _versions(version_key(user_id))[0] != version:
            cache.delete(_copy_key(user_id))
    except Exception:
        logger.warning("Could not keep the viewer %s", user_id, exc_info=True)
    return user


def get_user(request):
    """``django.contrib.auth.get_user`` from the kept entry when there is one."""
    session = request.session
    user_id = session.get(SESSION_KEY)
    backend_path = session.get(BACKEND_SESSION_KEY)
    if (user_id is None or backend_path not in settings.AUTHENTICATION_BACKENDS
            or not settings.VIEWER_CACHE):
        return auth.get_user(request)
    try:
        found = cache.get_many([_copy_key(user_id), version_key(user_id)])
    except Exception:  # the cache's outage, or not a user id it keeps: the rows
        return auth.get_user(request)
    user = found.get(_copy_key(user_id))
    if user is None:
        if request.method in ("GET", "HEAD"):
            return _load(request, user_id, found.get(version_key(user_id), 1))
        # A form post (a sign-up in a rush) reads only the person's row, as without the
        # cache: the entry is built by the next page the person opens.
        user = _row(user_id, backend_path)
        if user is None:
            return auth.get_user(request)
    session_hash = session.get(HASH_SESSION_KEY)
    if not (session_hash
            and constant_time_compare(session_hash, user.get_session_auth_hash())):
        return auth.get_user(request)  # Django decides: a fallback key, or log out
    user.backend = backend_path
    return user


def _row(user_id, backend_path: str):
    """The person's row as their backend's ``get_user`` reads it, when that is Django's
    ``ModelBackend``'s (a row by its key from the default manager, if it may log in), read
    by ``volunteers.rows``; None to let Django read it (another backend, a manager that
    filters, no such person, an id that is not one)."""
    if not _reads_rows_as_django_does(backend_path):
        return None
    model = auth.get_user_model()
    try:
        key = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    found = sql_rows.fetch(model, f"SELECT {sql_rows.columns(model, 'u')} "  # noqa: S608
                                  f"FROM {model._meta.db_table} u WHERE u.id = %s", [key])
    if not found or not auth.load_backend(backend_path).user_can_authenticate(found[0]):
        return None
    return found[0]


@functools.lru_cache(maxsize=8)
def _reads_rows_as_django_does(backend_path: str) -> bool:
    model = auth.get_user_model()
    backend = type(auth.load_backend(backend_path))
    return (issubclass(backend, ModelBackend) and backend.get_user is ModelBackend.get_user
            and type(model._default_manager).get_queryset is Manager.get_queryset
            and model._meta.pk.column == "id")


class AuthenticationMiddleware(DjangoAuthentication):
    """Django's, with ``request.user`` read through ``get_user`` above."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: get_user(request))


# --- what drops an entry (connected in VolunteersConfig.ready) ------------------------------


def connect() -> None:
    from allauth.account.models import EmailAddress
    from django.db.models.signals import post_delete, post_save

    from events.models import Rsvp

    from .models import RoleGrant, Signup, TeamInvitation, TeamMembership, User

    for signal in (post_save, post_delete):
        signal.connect(_user_changed, sender=User, dispatch_uid=f"viewer-user-{signal}")
        signal.connect(_signup_changed, sender=Signup, dispatch_uid=f"viewer-signup-{signal}")
        for model in (RoleGrant, TeamMembership, EmailAddress, Rsvp):
            signal.connect(_row_of_user_changed, sender=model,
                           dispatch_uid=f"viewer-{model.__name__}-{signal}")
        signal.connect(_invitation_changed, sender=TeamInvitation,
                       dispatch_uid=f"viewer-invitation-{signal}")


def _user_changed(sender, instance, **kwargs):
    viewer_changed(instance.pk)


def _row_of_user_changed(sender, instance, **kwargs):
    viewer_changed(instance.user_id)


def _signup_changed(sender, instance, **kwargs):
    viewer_changed(instance.volunteer_id)


def _invitation_changed(sender, instance, **kwargs):
    # The nav counts invitations to a person's verified addresses: whoever holds this one.
    from allauth.account.models import EmailAddress

    for user_id in (EmailAddress.objects.filter(email__iexact=instance.email)
                    .values_list("user_id", flat=True)):
        viewer_changed(user_id)

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Prefetch, Q
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import CsrfViewMiddleware
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import rules as roles
from ..access import public_cache, role_required
from ..forms import ProfileForm, RoleChangeForm
from ..models import Role, RoleGrant, User
from ..services.roles import RoleError, profile_update, role_grant, role_revoke

logger = logging.getLogger(__name__)


@public_cache
def home(request):
    from events.selectors import home_context

    return render(request, "home.html", home_context(user=request.user))


@never_cache
def health(request):
    """Liveness, for process supervisors: the web process is up. Touches neither database nor
    cache, so a database or Redis outage never gets healthy processes restarted."""
    return HttpResponse("ok", content_type="text/plain")


READY_TIMEOUT = 0.5


def _database_answers() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.warning("Readiness: the database does not answer: %s", error)
        return "unreachable"
    return "ok"


def _redis_answers() -> str:
    import redis

    try:
        with redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=READY_TIMEOUT,
                                  socket_connect_timeout=READY_TIMEOUT) as client:
            client.ping()
    except (redis.RedisError, OSError, ValueError) as error:
        logger.warning("Readiness: Redis does not answer: %s", error)
        return "unreachable"
    return "ok"


@never_cache
def ready(request):
    """Readiness, for load balancers and deploy checks: 200 when the database and Redis (the
    broker and cache) both answer within half a second each, else 503; the plain-text body
    names each one and whether it answered."""
    checks = {"database": _database_answers(), "redis": _redis_answers()}
    body = "".join(f"{name}: {state}\n" for name, state in checks.items())
    healthy = all(state == "ok" for state in checks.values())
    return HttpResponse(body, content_type="text/plain", status=200 if healthy else 503)


def permission_denied(request, exception=None):
    return render(request, "403.html", status=403)


@csrf_exempt
@require_POST
def set_language(request):
    """Switch the page language; for a logged-in volunteer it becomes their profile language.

    Anonymous pages carry no CSRF token so that they can be cached for everyone; a forged
    switch can only change a cookie. Changing a profile still needs a valid token."""
    if request.user.is_authenticated:
        refusal = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refusal is not None:
            return refusal
    code = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if code in dict(User.Language.choices):
        if request.user.is_authenticated and request.user.language != code:
            profile_update(user=request.user, language=code)
        translation.activate(code)
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response


@login_required
def profile(request):
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST, instance=User.objects.get(pk=user.pk))
        if form.is_valid():
            profile_update(user=user, **{name: form.cleaned_data[name] for name in form.fields})
            translation.activate(user.language)
            messages.success(request, _("Your profile is saved."))
            return HttpResponseRedirect(reverse("profile"))
    else:
        form = ProfileForm(instance=user)
    return render(request, "volunteers/profile.html", {"form": form})


ROLES_PER_PAGE = 50


@role_required(roles.is_organizer)
def role_list(request):
    """Organizers grant and revoke the captain, organizer and treasurer roles."""
    if request.method == "POST":
        form = RoleChangeForm(request.POST)
        if form.is_valid():
            person, role = form.cleaned_data["user"], form.cleaned_data["role"]
            label = Role(role).label
            try:
                if form.cleaned_data["action"] == "grant":
                    role_grant(user=person, role=role, by=request.user)
                    messages.success(request, _("%(name)s is now %(role)s.") % {
                        "name": person.name, "role": label})
                else:
                    role_revoke(user=person, role=role, by=request.user)
                    messages.success(request, _("%(name)s is no longer %(role)s.") % {
                        "name": person.name, "role": label})
            except RoleError as error:
                messages.error(request, str(error))
        else:
            messages.error(request, _("That role change could not be made: %(errors)s") % {
                "errors": "; ".join(e for errs in form.errors.values() for e in errs)})
        return HttpResponseRedirect(request.get_full_path())

    query = request.GET.get("q", "").strip()
    people = User.objects.order_by("display_name", "email").prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    )
    if query:
        people = people.filter(Q(email__icontains=query) | Q(display_name__icontains=query))
    page = Paginator(people, ROLES_PER_PAGE).get_page(request.GET.get("page"))
    rows = [(person, {grant.role for grant in person.role_grants.all()}) for person in page]
    return render(
        request,
        "volunteers/roles.html",
        {"page": page, "rows": rows, "roles": Role.choices, "query": query},
    )

"""The navigation and footer of every page are written once per kind of visitor and language
(volunteers.templatetags.frame_tags): each visitor still gets exactly the markup the
templates give them, their own CSRF token, and their own address in the language form."""

import re

import pytest
from django.template import RequestContext, Template
from django.test import Client
from django.urls import reverse

from tests.factories import TeamFactory, TeamMembershipFactory, UserFactory
from tests.factories import organizer as make_organizer
from tests.factories import treasurer as make_treasurer
from volunteers.models import TeamInvitation

pytestmark = pytest.mark.django_db

REFERENCE = Template(
    '{% load i18n %}<ul class="nav">\n        {% include "partials/_nav.html" %}\n'
    '      </ul>@@{% include "partials/_footer.html" with full_path=request.get_full_path %}')


def tokens_out(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", html)


def nav_and_footer(html: str) -> str:
    nav = re.search(r'<ul class="nav">.*?</ul>', html, re.S).group(0)
    footer = re.search(r'<footer class="site-footer">\n  <div class="wrap">\n    (.*?)\n  </div>',
                       html, re.S).group(1)
    return tokens_out(f"{nav}@@{footer}")


def visitors():
    invited = UserFactory(email="invited.frame@example.org")
    from allauth.account.models import EmailAddress

    EmailAddress.objects.update_or_create(user=invited, email=invited.email,
                                          defaults={"verified": True, "primary": True})
    for name in ("Frame One", "Frame Two"):
        TeamInvitation.objects.create(team=TeamFactory(name=name), email=invited.email,
                                      invited_by=make_organizer())
    member = UserFactory()
    TeamMembershipFactory(team=TeamFactory(), user=member)
    return {"anonymous": None, "volunteer": UserFactory(), "invited twice": invited,
            "member": member, "organizer": make_organizer(), "treasurer": make_treasurer()}


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_visitor_gets_the_nav_and_footer_the_templates_give_them(client, language):
    people = visitors()
    seen = set()
    for _round in range(2):  # the second round is served from what was kept
        for kind, person in people.items():
            client.logout()
            if person is not None:
                person.language = language
                person.save()
                client.force_login(person)
            url = reverse("profile") if person else reverse("event_list") + "?kind=x"
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, kind
            request = response.wsgi_request
            from django.utils import translation

            with translation.override(language):
                expected = tokens_out(REFERENCE.render(RequestContext(request)))
            assert nav_and_footer(response.content.decode()) == expected, kind
            seen.add(expected)
    assert len(seen) == len(people)  # six kinds of visitor, six navs


def test_the_language_form_returns_to_this_very_address_escaped(client):
    client.force_login(UserFactory())

    html = client.get(reverse("profile") + "?a=1&b=2").content.decode()

    assert 'name="next" value="/profile/?a=1&amp;b=2"' in html


def test_each_request_gets_its_own_working_csrf_token():
    tokens = []
    for _ in range(2):
        client = Client(enforce_csrf_checks=True)
        client.force_login(UserFactory())
        html = client.get(reverse("profile")).content.decode()
        assert "FrameCsrfTokenPlaceholder" not in html
        logout = re.search(r'action="/accounts/logout/" method="post"><input type="hidden" '
                           r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        tokens.append(logout)
        response = client.post(reverse("account_logout"), {"csrfmiddlewaretoken": logout})
        assert response.status_code == 302
        assert client.get(reverse("profile")).status_code == 302  # logged out
    assert tokens[0] != tokens[1]

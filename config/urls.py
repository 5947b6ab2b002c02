from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from volunteers import adapters as account_adapters
from volunteers.views import accounts as account_views

# One login form with one set of rate limits: the admin's own login page sends people to
# allauth's (and refuses non-staff who are logged in).
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.health, name="health"),
    path("readyz", account_views.ready, name="ready"),
    # Before allauth's own: the same page, with the account and its email in one transaction.
    path("accounts/signup/", account_adapters.signup, name="account_signup"),
    path("accounts/", include("allauth.urls")),
    path("language/", account_views.set_language, name="set_language"),
    path("", include("volunteers.urls")),
    path("", include("events.urls")),
    path("", include("donations.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "volunteers.views.accounts.permission_denied"
handler400 = "volunteers.views.errors.bad_request"
handler404 = "volunteers.views.errors.page_not_found"
handler500 = "volunteers.views.errors.server_error"

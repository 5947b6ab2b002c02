from django.contrib import admin
from django.urls import include, path

from volunteers.views import accounts as account_views

urlpatterns = [
    path("", account_views.home, name="home"),
    path("healthz", account_views.health, name="health"),
    path("accounts/", include("allauth.urls")),
    path("language/", account_views.set_language, name="set_language"),
    path("", include("volunteers.urls")),
    path("", include("events.urls")),
    path("", include("donations.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "volunteers.views.accounts.permission_denied"

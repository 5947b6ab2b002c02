from django.contrib import admin
from django.urls import include, path

from volunteers import views as volunteer_views

urlpatterns = [
    path("", volunteer_views.home, name="home"),
    path("accounts/", include("allauth.urls")),
    path("language/", volunteer_views.set_language, name="set_language"),
    path("", include("volunteers.urls")),
    path("", include("events.urls")),
    path("", include("donations.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "volunteers.views.permission_denied"

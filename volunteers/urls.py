from django.urls import path

from .views import accounts

urlpatterns = [
    path("profile/", accounts.profile, name="profile"),
    path("organize/roles/", accounts.role_list, name="role_list"),
]

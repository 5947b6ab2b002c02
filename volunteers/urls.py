from django.urls import path

from . import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("organize/roles/", views.role_list, name="role_list"),
]

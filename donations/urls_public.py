from django.urls import path

from .views import public

urlpatterns: list = [
    path("events/<int:pk>/raised/", public.fundraiser_raised, name="fundraiser_raised"),
]

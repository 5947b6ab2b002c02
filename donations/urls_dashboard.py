from django.urls import path

from .views import dashboard

urlpatterns: list = [
    path("money/drives/<int:pk>/dashboard/", dashboard.money_dashboard, name="money_dashboard"),
    path("teams/<int:pk>/raised/", dashboard.team_raised, name="team_raised"),
]

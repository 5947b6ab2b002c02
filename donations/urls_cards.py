"""Giving codes, and a drive's card and online gifts (issue 12)."""

from django.urls import path

from .views import cards

urlpatterns: list = [
    path("money/giving-codes/", cards.giving_codes, name="money_giving_codes"),
    path("money/giving-codes/teams/<int:pk>/", cards.giving_code_team,
         name="money_giving_code_team"),
    path("money/giving-codes/sites/<int:pk>/", cards.giving_code_site,
         name="money_giving_code_site"),
    path("money/drives/<int:pk>/cards/", cards.card_gifts, name="money_card_gifts"),
    path("money/drives/<int:pk>/cards/import/", cards.card_import, name="money_card_import"),
]

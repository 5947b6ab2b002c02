"""The counting table: count sessions, count sheets, blind counts, odd items' proceeds."""

from django.urls import path

from .views import counting

urlpatterns: list = [
    path("money/drives/<int:pk>/sessions/new/", counting.session_new,
         name="money_session_new"),
    path("money/sessions/<int:pk>/", counting.session_detail, name="money_session"),
    path("money/sheets/<int:pk>/", counting.sheet_detail, name="money_sheet"),
    path("money/sheets/<int:pk>/count/", counting.count, name="money_count"),
    path("money/sheets/<int:pk>/switch/", counting.switch_counter,
         name="money_switch_counter"),
    path("money/odd-items/<int:pk>/proceeds/", counting.proceeds, name="money_proceeds"),
]

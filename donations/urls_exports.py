from django.urls import path

from .views import exports

urlpatterns: list = [
    path("money/journal/", exports.money_journal, name="money_journal"),
    path("money/journal/<int:pk>/", exports.money_journal_export, name="money_journal_export"),
    path("money/drives/<int:pk>/report/", exports.money_reconciliation_report,
         name="money_reconciliation_report"),
    path("organize/permits/<int:pk>/return/", exports.permit_return_view, name="permit_return"),
]

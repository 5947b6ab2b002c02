from django.urls import path

from .views import books

urlpatterns: list = [
    path("money/", books.money_home, name="money_home"),
    path("money/drives/<int:pk>/", books.money_drive, name="money_drive"),
    path("money/drives/<int:pk>/reconcile/", books.money_reconcile, name="money_reconcile"),
    path("money/drives/<int:pk>/reopen/", books.money_reopen, name="money_reopen"),
    path("money/drives/<int:pk>/adjustments/new/", books.money_adjustment_new,
         name="money_adjustment_new"),
    path("money/audit/", books.money_audit, name="money_audit"),
]

from django.urls import path

from .views import banking

urlpatterns: list = [
    path("money/drives/<int:pk>/deposits/new/", banking.deposit_new, name="money_deposit_new"),
    path("money/deposits/<int:pk>/", banking.deposit_detail, name="money_deposit"),
    path("money/bank/", banking.bank, name="money_bank"),
    path("money/bank/import/", banking.bank_import, name="money_bank_import"),
]

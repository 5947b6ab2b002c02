from django.urls import path

from .views import acknowledgments

urlpatterns: list = [
    path("money/acknowledgments/", acknowledgments.acknowledgment_list,
         name="money_acknowledgments"),
    path("money/acknowledgments/<str:kind>/<int:pk>/", acknowledgments.acknowledgment_gift,
         name="money_acknowledgment"),
    path("money/acknowledgments/<str:kind>/<int:pk>/letter/",
         acknowledgments.acknowledgment_letter, name="money_acknowledgment_letter"),
]

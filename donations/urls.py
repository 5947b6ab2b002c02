from django.urls import include, path

from .views import custody, live
from .views import print as print_views

urlpatterns: list = [
    # Bucket custody (custodypages helper)
    path("organize/buckets/", custody.bucket_list, name="organize_bucket_list"),
    path("organize/buckets/<int:pk>/", custody.bucket_detail, name="organize_bucket_detail"),
    path("organize/events/<int:pk>/buckets/", custody.event_buckets,
         name="organize_event_buckets"),
    path("organize/events/<int:pk>/incidents/", custody.event_incidents,
         name="organize_event_incidents"),
    path("my/buckets/<int:pk>/", custody.my_bucket, name="my_bucket"),
    path("organize/events/<int:pk>/live/", live.drive_day_view, name="drive_day"),
    # Badges, run sheets, the disclosure card, badge verification (print helper)
    path("organize/events/<int:pk>/badges/", print_views.badge_list,
         name="organize_event_badges"),
    path("organize/events/<int:pk>/badges/print/", print_views.badges_print,
         name="organize_event_badges_print"),
    path("organize/badges/<int:pk>/return/", print_views.badge_return_view,
         name="organize_badge_return"),
    path("organize/badges/<int:pk>/revoke/", print_views.badge_revoke_view,
         name="organize_badge_revoke"),
    path("organize/events/<int:pk>/run-sheets/", print_views.run_sheets_print,
         name="organize_event_run_sheets"),
    path("organize/events/<int:pk>/disclosure-card/", print_views.disclosure_card,
         name="organize_event_disclosure_card"),
    path("verify/<str:code>/", print_views.badge_verify, name="badge_verify"),
    # The treasurers' books: counting, deposits and the bank, reconciliation
    path("", include("donations.urls_counting")),
    path("", include("donations.urls_banking")),
    path("", include("donations.urls_books")),
]
urlpatterns += [path("", include("donations.urls_dashboard"))]  # issue 12 dashboard helper
urlpatterns += [path("", include("donations.urls_public"))]  # issue 12 public helper
urlpatterns += [path("", include("donations.urls_ack"))]  # issue 12 acknowledgments helper
urlpatterns += [path("", include("donations.urls_exports"))]  # issue 12 exports helper
urlpatterns += [path("", include("donations.urls_cards"))]  # issue 12 cards helper

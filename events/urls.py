from django.urls import path

from . import feeds, views, views_rsvp

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/<int:pk>/", views.event_detail, name="event_detail"),
    path("events/<int:pk>/rsvp/", views.event_rsvp, name="event_rsvp"),
    path("organize/events/", views.organize_event_list, name="organize_event_list"),
    path("organize/events/new/", views.organize_event_create, name="organize_event_create"),
    path("organize/events/<int:pk>/", views.organize_event_edit, name="organize_event_edit"),
    path("organize/events/<int:pk>/publish/", views.organize_event_publish,
         name="organize_event_publish"),
    path("organize/events/<int:pk>/cancel/", views.organize_event_cancel,
         name="organize_event_cancel"),
    path("organize/events/<int:pk>/duplicate/", views.organize_event_duplicate,
         name="organize_event_duplicate"),
    path("organize/events/<int:pk>/shifts/", views.organize_event_shifts,
         name="organize_event_shifts"),
    # RSVP list and attendance (issue #8)
    path("organize/events/<int:pk>/rsvps/", views_rsvp.organize_event_rsvps,
         name="organize_event_rsvps"),
    path("organize/events/<int:pk>/rsvps.csv", views_rsvp.organize_event_rsvps_csv,
         name="organize_event_rsvps_csv"),
    path("organize/events/<int:pk>/rsvps/walk-in/", views_rsvp.organize_event_rsvp_walk_in,
         name="organize_event_rsvp_walk_in"),
    path("organize/rsvps/<int:pk>/attendance/", views_rsvp.organize_event_rsvp_attendance,
         name="organize_event_rsvp_attendance"),
    path("organize/shifts/<int:pk>/", views.organize_shift_edit, name="organize_shift_edit"),
    path("organize/shifts/<int:pk>/cancel/", views.organize_shift_cancel,
         name="organize_shift_cancel"),
    path("organize/series/new/", views.organize_series_create, name="organize_series_create"),
    path("organize/series/<int:pk>/", views.organize_series_detail,
         name="organize_series_detail"),
    # Calendar files and feeds (issue #4)
    path("events/<int:pk>/calendar.ics", feeds.event_ics, name="event_ics"),
    path("shifts/<int:pk>/calendar.ics", feeds.shift_ics, name="shift_ics"),
    path("calendar/events.ics", feeds.public_feed, name="calendar_public_feed"),
    path("calendar/<str:token>/shifts.ics", feeds.personal_feed, name="calendar_personal_feed"),
    path("calendar/<str:token>/events/<int:pk>.ics", feeds.organizer_feed,
         name="calendar_organizer_feed"),
]

from django.urls import path

from .views import accounts, board, notifications, signups, teams

urlpatterns = [
    path("profile/", accounts.profile, name="profile"),
    path("organize/roles/", accounts.role_list, name="role_list"),
    # Sign-ups, teams, check-in and the shift board (issue #3)
    path("shifts/<int:pk>/signup/", signups.shift_signup, name="shift_signup"),
    path("signups/<int:pk>/cancel/", signups.my_signup_cancel, name="signup_cancel"),
    path("my/shifts/", signups.my_shifts, name="my_shifts"),
    path("teams/", teams.team_list, name="team_list"),
    path("teams/new/", teams.team_new, name="team_new"),
    path("teams/<int:pk>/", teams.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", teams.team_edit, name="team_edit"),
    path("teams/<int:pk>/members/", teams.team_member_add_view, name="team_member_add"),
    path("teams/<int:pk>/members/<int:user_pk>/remove/", teams.team_member_remove_view,
         name="team_member_remove"),
    path("teams/<int:pk>/members/<int:user_pk>/captain/", teams.team_captain_view,
         name="team_captain"),
    path("teams/<int:pk>/signup/", teams.team_signup, name="team_signup"),
    path("organize/events/<int:event_pk>/board/", board.board, name="event_board"),
    path("organize/events/<int:event_pk>/roster.csv", board.roster_csv, name="event_roster_csv"),
    path("organize/shifts/<int:shift_pk>/roster/", board.roster, name="shift_roster"),
    path("organize/shifts/<int:shift_pk>/add/", board.roster_add, name="shift_roster_add"),
    path("organize/shifts/<int:shift_pk>/checkin/", board.checkin, name="shift_checkin"),
    path("organize/signups/<int:pk>/", board.signup_manage, name="signup_manage"),
    path("organize/signups/<int:pk>/move/", board.signup_move_view, name="signup_move"),
    path("organize/signups/<int:pk>/remove/", board.signup_remove, name="signup_remove"),
    path("organize/signups/<int:pk>/attendance/", board.signup_attendance,
         name="signup_attendance"),
    path("organize/signups/<int:pk>/hours/", board.signup_hours_view, name="signup_hours"),
    # Messages and calendar feeds (issue #4)
    path("profile/calendar/", notifications.calendar_settings, name="calendar_settings"),
    path("profile/calendar/reset/", notifications.calendar_token_reset_view,
         name="calendar_token_reset"),
    path("organize/messages/", notifications.message_list, name="message_list"),
    path("organize/messages/<int:pk>/retry/", notifications.message_retry_view,
         name="message_retry"),
]

"""Admin for looking things up. Changes that notify volunteers (time, place, cancellation)
belong on the organizer pages, which go through the services; so times, status and
capacity are read-only here."""

from django.contrib import admin

from .models import Event, EventSeries, Rsvp, Shift


class ShiftInline(admin.TabularInline):
    model = Shift
    fk_name = "event"
    extra = 0
    fields = ["role", "title", "starts_at", "ends_at", "needed", "capacity", "is_cancelled"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "starts_at", "status", "visibility", "series"]
    list_filter = ["kind", "status", "visibility"]
    search_fields = ["title", "venue_name", "address"]
    date_hierarchy = "starts_at"
    readonly_fields = ["starts_at", "ends_at", "status", "series", "occurrence_start",
                       "duplicated_from", "sequence", "created_by", "created_at", "updated_at"]
    raw_id_fields = ["contact"]
    inlines = [ShiftInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "starts_at", "needed", "capacity", "is_cancelled"]
    list_filter = ["role", "is_cancelled"]
    search_fields = ["title", "event__title"]
    raw_id_fields = ["event", "required_training"]
    readonly_fields = ["event", "starts_at", "ends_at", "capacity", "is_cancelled", "sequence",
                       "created_at"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventSeries)
class EventSeriesAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "rrule", "first_start"]
    search_fields = ["title"]
    readonly_fields = ["rrule", "first_start", "duration", "created_by", "created_at"]

    def has_add_permission(self, request):
        return False


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ["event", "user", "status", "attended", "created_at"]
    list_filter = ["status", "attended"]
    search_fields = ["event__title", "user__email", "user__display_name"]
    raw_id_fields = ["event", "user"]

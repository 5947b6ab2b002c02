from django.conf import settings

from . import rules as roles


def rally(request):
    user = getattr(request, "user", None)
    authenticated = bool(user and user.is_authenticated)
    return {
        "SITE_NAME": settings.SITE_NAME,
        "COALITION": settings.COALITION,
        "HOTLINE": settings.HOTLINE,
        "nav": {
            "organizer": authenticated and roles.is_organizer(user),
            "treasurer": authenticated and roles.is_treasurer(user),
            "captain": authenticated and roles.is_captain(user),
        },
    }

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "volunteers"
    verbose_name = _("Volunteers")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import receivers, viewer_cache  # noqa: F401
        from .adapters import site_row_sync

        post_migrate.connect(site_row_sync, sender=self)
        viewer_cache.connect()

"""Storage for uploaded permits and insurance certificates: files under
settings.PRIVATE_MEDIA_ROOT, which no public URL reaches. They are served to organizers only,
by events/views_permits.py, after the role is checked."""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage


class PrivateStorage(FileSystemStorage):
    """The folder is read from settings on every use (not once at start-up), so a changed
    PRIVATE_MEDIA_ROOT (a test's temporary folder) takes effect, and files have no URL."""

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no public URL; link to the download view.")

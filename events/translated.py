"""Organizer-entered text in the reader's language.

What an organizer types (an event's title, a shift's notes, later a collection site's safety
notes) is stored in English in ``<field>`` and, optionally, in Spanish in ``<field>_es``.
Every page and e-mail shows it through one function, ``localized(obj, field)``, in the active
language (a page: the reader's; an e-mail or calendar invite: the recipient's ``User.language``,
activated by the renderer), falling back to English when the Spanish text is empty.

A model opts in by inheriting ``Translated`` and naming its fields in ``TRANSLATED_FIELDS``;
templates write ``{{ event.localized.title }}``, Python ``event.localized.title`` or
``localized(event, "title", language)``. A new model with such text (a collection ``Site``
with ``safety_notes``) adds ``safety_notes_es`` beside ``safety_notes``, inherits
``Translated`` with ``TRANSLATED_FIELDS = ("safety_notes",)``, and puts the Spanish field in
its organizer form (``SpanishFieldsForm`` groups it under "En español").
"""

from django.utils.translation import get_language

ENGLISH = "en"
# Languages with a column of their own, besides English in the plain field.
TRANSLATIONS = ("es",)


def language_code(language: str | None = None) -> str:
    """``"es"`` for ``"es"``, ``"es-mx"`` or ``"es_MX"``; the active language by default."""
    return (language or get_language() or ENGLISH)[:2].lower()


def localized(obj, field: str, language: str | None = None) -> str:
    """``obj.<field>`` in ``language`` (the active language by default), English when there
    is no text in that language."""
    code = language_code(language)
    if code in TRANSLATIONS:
        text = getattr(obj, f"{field}_{code}", "") or ""
        if text.strip():
            return text
    return getattr(obj, field)


def translated_field_names(fields: tuple[str, ...]) -> tuple[str, ...]:
    """The extra columns for ``fields``: ``("title_es", ...)``."""
    return tuple(f"{field}_{code}" for field in fields for code in TRANSLATIONS)


class LocalText:
    """``obj.localized.<field>``: the field in the active language (see ``localized``)."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        self._obj = obj

    def __getattr__(self, field: str) -> str:
        if field not in type(self._obj).TRANSLATED_FIELDS:
            raise AttributeError(field)
        return localized(self._obj, field)


class Translated:
    """Mixin for models with organizer-entered text in English and Spanish."""

    TRANSLATED_FIELDS: tuple[str, ...] = ()

    @property
    def localized(self) -> LocalText:
        return LocalText(self)


class SpanishFieldsForm:
    """Mixin for organizer forms: the ``<field>_es`` fields are left out of
    ``visible_fields()`` (so ``partials/_form_fields.html`` shows the English form as before)
    and offered by ``spanish_fields()``, which ``events/organize/_spanish_fields.html`` shows
    under "En español (optional)"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if _is_spanish(name):
                field.required = False
                field.widget.attrs.setdefault("lang", "es")

    def visible_fields(self):
        return [bound for bound in super().visible_fields() if not _is_spanish(bound.name)]

    def spanish_fields(self):
        return [bound for bound in super().visible_fields() if _is_spanish(bound.name)]


def _is_spanish(name: str) -> bool:
    return name.endswith("_es")

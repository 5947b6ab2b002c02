"""Forms of the acknowledgment pages (donations/acknowledgments.py decides; its MoneyError is
shown at the field it names), and the dollars-and-cents field of the organizer's event form
for the value of an item a drive hands out in exchange for a gift."""

from django import forms
from django.core import validators
from django.utils.translation import gettext_lazy as _

from config.input_bounds import MAX_NUMBER_LENGTH, BoundedFormMixin
from events.models import Event, EventKind

from .acknowledgments import ADDRESS_MAX, EMAIL_MAX, Gift, default_language, languages
from .money import AmountError, format_cents, parse_cents, plain_cents

SHOW_CHOICES = [("all", _("All")), ("missing", _("Missing")), ("sent", _("Sent"))]


class CentsAmountField(forms.Field):
    """Dollars and cents as typed ("2.50", "$3"), read as integer cents; blank is 0. Shows a
    stored amount of cents as dollars ("2.50")."""

    widget = forms.TextInput

    def __init__(self, *, min_value=None, max_value=None, step_size=None, **kwargs):
        # A model's integer field offers its bounds (in cents): kept as validators.
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        if min_value is not None:
            self.validators.append(validators.MinValueValidator(min_value))
        if max_value is not None:
            self.validators.append(validators.MaxValueValidator(max_value))
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return plain_cents(value)
        return value

    def to_python(self, value) -> int:
        text = str(value if value is not None else "").strip()
        if not text:
            return 0
        if len(text) > MAX_NUMBER_LENGTH:
            raise forms.ValidationError(_("That amount is too large to be right."))
        try:
            return parse_cents(text)
        except AmountError as error:
            raise forms.ValidationError(str(error)) from None


class DriveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, event) -> str:
        return f"{event.localized.title} ({event.starts_at:%Y-%m-%d})"


class AcknowledgmentFilterForm(BoundedFormMixin, forms.Form):
    """The list's filters (GET): one drive or all, missing or sent or all."""

    event = DriveChoiceField(label=_("Drive"), required=False, empty_label=_("Every drive"),
                             queryset=Event.objects.none())
    show = forms.ChoiceField(label=_("Show"), choices=SHOW_CHOICES, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = (Event.objects.filter(kind=EventKind.FUNDRAISER)
                                         .order_by("-starts_at", "-pk"))


class _AcknowledgmentForm(BoundedFormMixin, forms.Form):
    """To whom, in which language, and whether the donor received the drive's item."""

    language = forms.ChoiceField(label=_("Language of the acknowledgment"), choices=())
    with_item = forms.BooleanField(required=False)

    def __init__(self, *args, gift: Gift, **kwargs):
        kwargs.setdefault("initial", {
            "language": gift.language_or_default, "with_item": gift.item_by_default})
        super().__init__(*args, **kwargs)
        self.gift = gift
        self.fields["language"].choices = list(languages().items())
        self.fields["language"].help_text = (
            _("The donor's language, from the processor's file.") if gift.language
            else _("The donor's language is not known: %(language)s is the coalition's.")
            % {"language": languages().get(default_language(), default_language())})
        if gift.item_offered:
            self.fields["with_item"].label = _(
                "The donor received %(item)s (value %(value)s), which is not deductible") % {
                    "item": gift.event.premium_description,
                    "value": format_cents(gift.event.premium_value_cents)}
        else:
            del self.fields["with_item"]
        self.order_fields(["to_address", "language", "with_item"])

    def choices(self) -> dict:
        data = self.cleaned_data
        return {"to_address": data.get("to_address", ""), "language": data["language"],
                "with_item": bool(data.get("with_item"))}


class EmailAcknowledgmentForm(_AcknowledgmentForm):
    to_address = forms.EmailField(label=_("Donor's email address"), max_length=EMAIL_MAX,
                                  widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args, gift: Gift, **kwargs):
        kwargs.setdefault("initial", {
            "to_address": gift.email, "language": gift.language_or_default,
            "with_item": gift.item_by_default})
        super().__init__(*args, gift=gift, **kwargs)


class LetterAcknowledgmentForm(_AcknowledgmentForm):
    to_address = forms.CharField(
        label=_("Donor's postal address"), max_length=ADDRESS_MAX, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Printed above the letter, for a window envelope. Optional."))

    def __init__(self, *args, gift: Gift, **kwargs):
        kwargs.setdefault("initial", {
            "to_address": gift.address, "language": gift.language_or_default,
            "with_item": gift.item_by_default})
        super().__init__(*args, gift=gift, **kwargs)

"""Forms of the profile editors. Field names are the model attributes the services accept."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models.mentoring import TIME_ZONES
from matchmaker.timezones import DEFAULT_ZONE
from matchmaker.web.forms import (
    DecimalField,
    MultiCheckboxField,
    WholeNumberField,
    sessions_per_month_field,
    vocab_choices,
)

MAX_AMOUNT = Decimal("99999999999999")
_money = [Optional(), NumberRange(min=0, max=MAX_AMOUNT, message=_l("Enter a positive amount."))]


def split_list(text: str | None) -> list[str]:
    """ "Chongqing, Chengdu、西南" -> ["Chongqing", "Chengdu", "西南"] (ASCII or Chinese commas)."""
    return [part.strip() for part in re.split(r"[,，、;；\n]", text or "") if part.strip()]


def form_values(form: FlaskForm, fields: tuple[str, ...]) -> dict[str, Any]:
    """The form's data for the service: only the model's fields, text stripped."""
    values = {name: form[name].data for name in fields if name in form}
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = value.strip()
    return values


class ProfileForm(FlaskForm):
    """A profile editor's form. Its select and check-box fields named in ``vocabularies`` offer
    that vocabulary's codes (in the visitor's language, so set per form, not at import);
    ``values`` is what the service receives."""

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {}
    blank_choice: ClassVar[str | None] = None  # an offered "none" for optional selects

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, vocabulary in self.vocabularies.items():
            self[name].choices = vocab_choices(vocabulary, blank=self.blank_choice)

    def values(self, fields: tuple[str, ...]) -> dict[str, Any]:
        return form_values(self, fields)


class StartupForm(ProfileForm):
    name = StringField(_l("Startup name"), validators=[DataRequired(), Length(max=120)])
    one_liner = StringField(_l("One-liner"), validators=[Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    sectors = MultiCheckboxField(
        _l("Sectors"), validators=[DataRequired(message=_l("Choose at least one sector."))]
    )
    stage = SelectField(_l("Stage"), default="idea")
    funding_round = SelectField(_l("Funding round"), default="none")
    location = StringField(_l("Location"), validators=[Length(max=120)])
    team_size = WholeNumberField(
        _l("Team size"),
        default=1,
        validators=[InputRequired(), NumberRange(min=1, max=100000)],
    )
    founded_on = DateField(_l("Founded on"), validators=[Optional()])
    founder_backgrounds = MultiCheckboxField(_l("Founders' backgrounds"))
    languages = MultiCheckboxField(_l("Working languages"))
    mentoring_topics = MultiCheckboxField(_l("Mentoring wanted on"))
    services_needed = MultiCheckboxField(_l("Services needed"))
    funding_need_amount = DecimalField(_l("Funding need"), places=2, validators=_money)
    funding_need_currency = SelectField(_l("Currency"), default="CNY")
    funding_need_note = TextAreaField(_l("About the funding need"), validators=[Length(max=5000)])
    website = URLField(
        _l("Website"),
        validators=[Optional(), URL(message=_l("Enter a web address.")), Length(max=200)],
    )

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {
        "sectors": vocab.SECTORS,
        "stage": vocab.STAGES,
        "funding_round": vocab.ROUNDS,
        "founder_backgrounds": vocab.FOUNDER_BACKGROUNDS,
        "languages": vocab.LANGUAGES,
        "mentoring_topics": vocab.MENTORING_TOPICS,
        "services_needed": vocab.CHAIN_SERVICES,
        "funding_need_currency": vocab.CURRENCIES,
    }

    def validate_founded_on(self, field: DateField) -> None:
        if field.data and field.data > date.today():
            raise ValidationError(_l("The founding date cannot be in the future."))


class MemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail of an existing account"),
        validators=[DataRequired(), Email(), Length(max=254)],
    )
    title = StringField(_l("Title"), validators=[Length(max=80)])


class MentorForm(ProfileForm):
    kind = SelectField(_l("I am a"))
    headline = StringField(_l("Headline"), validators=[DataRequired(), Length(max=200)])
    expertise = TextAreaField(_l("Expertise"), validators=[Length(max=10000)])
    sectors = MultiCheckboxField(
        _l("Sectors"), validators=[DataRequired(message=_l("Choose at least one sector."))]
    )
    languages = MultiCheckboxField(_l("Languages"))
    mentoring_topics = MultiCheckboxField(_l("Topics"))
    organisation = StringField(_l("Organisation"), validators=[Length(max=120)])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    timezone = SelectField(_l("Time zone"), default=DEFAULT_ZONE)
    capacity_per_month = sessions_per_month_field(_l("Sessions per month"), default=4)
    accepting_requests = BooleanField(_l("Accepting requests"), default=True)

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {
        "kind": vocab.MENTOR_KINDS,
        "sectors": vocab.SECTORS,
        "languages": vocab.LANGUAGES,
        "mentoring_topics": vocab.MENTORING_TOPICS,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(tz, tz) for tz in TIME_ZONES]


class InvestorForm(ProfileForm):
    name = StringField(_l("Fund name"), validators=[DataRequired(), Length(max=160)])
    type = SelectField(_l("Type"))
    thesis = TextAreaField(_l("Investment thesis"), validators=[Length(max=10000)])
    sectors = MultiCheckboxField(_l("Sectors"))
    stages = MultiCheckboxField(_l("Rounds"))
    ticket_min = DecimalField(_l("Smallest ticket"), places=2, validators=_money)
    ticket_max = DecimalField(_l("Largest ticket"), places=2, validators=_money)
    currency = SelectField(_l("Currency"), default="CNY")
    instruments = MultiCheckboxField(_l("Financing instruments"))
    regions = StringField(_l("Regions (comma-separated)"), validators=[Length(max=900)], filters=[])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    website = URLField(
        _l("Website"),
        validators=[Optional(), URL(message=_l("Enter a web address.")), Length(max=200)],
    )
    co_investment_requirements = TextAreaField(
        _l("Co-investment requirements"), validators=[Length(max=10000)]
    )
    loan_products = TextAreaField(_l("Loan products"), validators=[Length(max=10000)])

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {
        "type": vocab.INVESTOR_TYPES,
        "sectors": vocab.SECTORS,
        "stages": vocab.ROUNDS,
        "currency": vocab.CURRENCIES,
        "instruments": vocab.INSTRUMENTS,
    }

    def validate_ticket_max(self, field: DecimalField) -> None:
        low = self.ticket_min.data
        if low is not None and field.data is not None and low > field.data:
            raise ValidationError(_l("The minimum ticket cannot be larger than the maximum."))

    def values(self, fields: tuple[str, ...]) -> dict[str, Any]:
        values = super().values(fields)
        values["regions"] = split_list(self.regions.data)
        return values


class PortfolioForm(ProfileForm):
    company = StringField(_l("Company"), validators=[DataRequired(), Length(max=160)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    sector = SelectField(_l("Sector"), default="")
    round = SelectField(_l("Round"), default="")
    year = WholeNumberField(
        _l("Year"),
        validators=[
            Optional(),
            NumberRange(min=1900, max=date.today().year + 1, message=_l("Enter a valid year.")),
        ],
    )

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {
        "sector": vocab.SECTORS,
        "round": vocab.ROUNDS,
    }
    blank_choice = "—"


class FacilityForm(ProfileForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    kind = SelectField(_l("Kind"))
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    address = StringField(_l("Address"), validators=[Length(max=255)])
    location = StringField(_l("Location"), validators=[Length(max=120)])
    opening_hours = StringField(_l("Opening hours"), validators=[Length(max=255)])
    contact_email = EmailField(
        _l("Contact e-mail"), validators=[Optional(), Email(), Length(max=254)]
    )

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {"kind": vocab.FACILITY_KINDS}


class EquipmentForm(ProfileForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)])
    category = SelectField(_l("Category"))
    model_specs = StringField(_l("Model and specifications"), validators=[Length(max=255)])
    description = TextAreaField(_l("Description"), validators=[Length(max=10000)])
    price_per_hour = DecimalField(
        _l("Price per hour (CNY)"),
        places=2,
        default=Decimal("0"),
        validators=[
            InputRequired(),
            NumberRange(min=0, max=MAX_AMOUNT, message=_l("Enter a positive amount.")),
        ],
    )
    voucher_eligible = BooleanField(_l("Innovation vouchers accepted"))
    training_required = BooleanField(_l("Training required"))
    booking_mode = SelectField(_l("Booking mode"), default="instant")

    vocabularies: ClassVar[dict[str, vocab.Labels]] = {
        "category": vocab.EQUIPMENT_CATEGORIES,
        "booking_mode": vocab.BOOKING_MODES,
    }


class ContactChannelsForm(FlaskForm):
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    share_phone = BooleanField(_l("Share my phone number after an accepted introduction"))
    wechat_id = StringField(_l("WeChat ID"), validators=[Optional(), Length(max=60)])
    share_wechat = BooleanField(_l("Share my WeChat ID after an accepted introduction"))

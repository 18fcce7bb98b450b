"""Forms of the shared-facilities pages (times are the facility's local wall-clock times)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.web.forms import DecimalField, MultiCheckboxField, vocab_choices


def weekday_choices() -> list[tuple[str, str]]:
    from matchmaker.web.i18n import current_locale

    zh = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    en = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    names = zh if current_locale().startswith("zh") else en
    return [(str(i), n) for i, n in enumerate(names)]


class BookingForm(FlaskForm):
    startup_id = SelectField(_l("For startup"), coerce=int, validators=[InputRequired()])
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    minutes = IntegerField(
        _l("Length (minutes)"), default=60, validators=[InputRequired(), NumberRange(1, 1440)]
    )
    weeks = IntegerField(
        _l("Repeat weekly for (weeks)"), default=1, validators=[Optional(), NumberRange(1, 26)]
    )
    voucher_id = SelectField(_l("Pay with an innovation voucher"), coerce=int, default=0)
    purpose = StringField(_l("Purpose"), validators=[Optional(), Length(max=500)])
    # When the page showed the calendar (UTC, ISO): a refusal can then tell "just taken" (by
    # someone since) from "already taken". Only the wording depends on it.
    seen_at = HiddenField()


class WaitlistForm(FlaskForm):
    startup_id = SelectField(_l("For startup"), coerce=int, validators=[InputRequired()])
    day = DateField(_l("Date"), validators=[DataRequired()])
    start = TimeField(_l("Start time"), validators=[DataRequired()])
    minutes = IntegerField(
        _l("Length (minutes)"), default=60, validators=[InputRequired(), NumberRange(1, 1440)]
    )


class ProposeForm(FlaskForm):
    need = TextAreaField(
        _l("What do you need?"), validators=[DataRequired(), Length(min=3, max=1000)]
    )
    category = SelectField(_l("Category"), default="")
    startup_id = SelectField(_l("For startup"), coerce=int, validators=[InputRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.category.choices = vocab_choices(vocab.EQUIPMENT_CATEGORIES, blank=_l("Any"))


class DeclineForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])


class UsageForm(FlaskForm):
    actual_minutes = IntegerField(
        _l("Minutes used"), validators=[InputRequired(), NumberRange(1, 1440)]
    )


class AtLeastOneChecked:
    """At least one box ticked, checked on the server only.

    ``DataRequired`` would set the field's ``required`` flag, which WTForms renders on every
    check box: the browser then refuses the form until all seven weekdays are ticked.
    """

    field_flags: dict[str, bool] = {}

    def __init__(self, message: object) -> None:
        self.message = message

    def __call__(self, form: FlaskForm, field: MultiCheckboxField) -> None:
        if not field.data:
            field.errors[:] = []
            raise StopValidation(str(self.message))


class WindowForm(FlaskForm):
    weekdays = MultiCheckboxField(
        _l("Weekdays"), validators=[AtLeastOneChecked(_l("Choose at least one weekday."))]
    )
    start_time = TimeField(_l("From"), validators=[DataRequired()])
    end_time = TimeField(_l("Until"), validators=[DataRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.weekdays.choices = weekday_choices()


class ExceptionForm(FlaskForm):
    kind = SelectField(
        _l("Kind"),
        choices=[("blackout", _l("Maintenance blackout")), ("opening", _l("One-off opening"))],
    )
    day = DateField(_l("Date"), validators=[DataRequired()])
    start_time = TimeField(_l("From"), validators=[DataRequired()])
    end_day = DateField(_l("End date"), validators=[Optional()])
    end_time = TimeField(_l("Until"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])


class RulesForm(FlaskForm):
    booking_mode = SelectField(_l("Booking mode"))
    training_required = BooleanField(_l("Only trained users may book"))
    min_minutes = IntegerField(
        _l("Minimum length (minutes)"), validators=[InputRequired(), NumberRange(1, 1440)]
    )
    max_minutes = IntegerField(
        _l("Maximum length (minutes)"), validators=[InputRequired(), NumberRange(1, 10080)]
    )
    granularity_minutes = IntegerField(
        _l("Slot granularity (minutes)"), validators=[InputRequired(), NumberRange(5, 1440)]
    )
    buffer_minutes = IntegerField(
        _l("Buffer between bookings (minutes)"), validators=[InputRequired(), NumberRange(0, 1440)]
    )
    lead_time_minutes = IntegerField(
        _l("Lead time (minutes)"), validators=[InputRequired(), NumberRange(0, 43200)]
    )
    horizon_days = IntegerField(
        _l("Bookable ahead (days)"), validators=[InputRequired(), NumberRange(1, 365)]
    )
    weekly_quota_hours = DecimalField(
        _l("Weekly quota per startup (hours, empty: none)"),
        places=2,
        validators=[Optional(), NumberRange(0.5, 168)],
    )
    cancel_notice_hours = IntegerField(
        _l("Founders may cancel until (hours before)"),
        validators=[InputRequired(), NumberRange(0, 720)],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.booking_mode.choices = vocab_choices(vocab.BOOKING_MODES)


class TrainingForm(FlaskForm):
    email = StringField(
        _l("E-mail of the trained user"), validators=[DataRequired(), Length(max=254)]
    )
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])


class VoucherForm(FlaskForm):
    startup_id = SelectField(_l("Startup"), coerce=int, validators=[InputRequired()])
    amount = DecimalField(
        _l("Amount (CNY)"), places=2, validators=[InputRequired(), NumberRange(1)]
    )
    valid_from = DateField(_l("Valid from"), validators=[DataRequired()])
    valid_until = DateField(_l("Valid until"), validators=[DataRequired()])
    categories = MultiCheckboxField(_l("Eligible equipment categories"))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=255)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.categories.choices = vocab_choices(vocab.EQUIPMENT_CATEGORIES)


class UsageFilterForm(FlaskForm):
    class Meta:
        csrf = False

    facility_id = SelectField(_l("Facility"), coerce=int, default=0)
    equipment_id = SelectField(_l("Instrument"), coerce=int, default=0)
    first = DateField(_l("From"), validators=[Optional()])
    last = DateField(_l("Until"), validators=[Optional()])


class EmptyForm(FlaskForm):
    """CSRF only (buttons that post)."""

    next = HiddenField()

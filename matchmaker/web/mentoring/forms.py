"""Forms of the mentoring pages. Slot fields accept any value: the service decides whether a time
is offered, and says why not in words the user understands (not "Not a valid choice")."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models.mentoring import TIME_ZONES
from matchmaker.services.mentoring.sessions import DECLINE_REASONS
from matchmaker.web.forms import (
    MultiCheckboxField,
    WholeNumberField,
    sessions_per_month_field,
    vocab_choices,
)

WEEKDAYS = [
    (0, _l("Monday")),
    (1, _l("Tuesday")),
    (2, _l("Wednesday")),
    (3, _l("Thursday")),
    (4, _l("Friday")),
    (5, _l("Saturday")),
    (6, _l("Sunday")),
]


class SlotCheckboxes(MultiCheckboxField):
    def pre_validate(self, form: object) -> None:  # the service validates the times
        pass


class SlotRadio(RadioField):
    def pre_validate(self, form: object) -> None:
        pass


class RequestForm(FlaskForm):
    startup_id = SelectField(_l("For startup"), coerce=int, validators=[InputRequired()])
    topic = SelectField(_l("Topic"), validators=[DataRequired()])
    goal = TextAreaField(
        _l("What do you want out of the session?"),
        validators=[DataRequired(), Length(max=2000)],
    )
    slots = SlotCheckboxes(_l("Up to three of the mentor's free times"))
    follow_up_of = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = vocab_choices(vocab.MENTORING_TOPICS, blank="—")


class AcceptForm(FlaskForm):
    slot = SlotRadio(_l("Time"), validators=[DataRequired(message=_l("Pick a time."))])


class DeclineForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired()])
    note = TextAreaField(_l("Message to the founders (optional)"), validators=[Length(max=2000)])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reason.choices = [("", "—")] + [(k, str(v)) for k, v in DECLINE_REASONS.items()]


class ProposeForm(FlaskForm):
    slots = SlotCheckboxes(_l("Up to three of your free times"))


class QuestionForm(FlaskForm):
    question = TextAreaField(_l("Your question"), validators=[DataRequired(), Length(max=2000)])


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=2000)])


class ChooseForm(FlaskForm):
    slot = SlotRadio(_l("Time"), validators=[DataRequired(message=_l("Pick a time."))])


class CancelForm(FlaskForm):
    note = TextAreaField(_l("Message (optional)"), validators=[Length(max=2000)])


class RescheduleForm(FlaskForm):
    slot = SlotRadio(_l("New time"), validators=[DataRequired(message=_l("Pick a time."))])


class ConfirmForm(FlaskForm):
    """Actions with no input (withdraw, complete, no-show): CSRF only."""


class ReviewForm(FlaskForm):
    rating = RadioField(
        _l("Rating"),
        choices=[(str(i), str(i)) for i in range(1, 6)],
        validators=[DataRequired(message=_l("Give a rating from 1 to 5."))],
    )
    notes = TextAreaField(_l("Private notes (only you see them)"), validators=[Length(max=4000)])
    follow_up_actions = TextAreaField(_l("Follow-up actions"), validators=[Length(max=4000)])
    wants_follow_up = BooleanField(_l("I would like a follow-up session"))
    public_comment = TextAreaField(
        _l("A comment for the mentor's page (optional)"), validators=[Length(max=1000)]
    )
    share_comment = BooleanField(_l("Show my comment on the mentor's page"))


class PlaceForm(FlaskForm):
    meeting_place = StringField(_l("Place (room, address)"), validators=[Length(max=200)])
    meeting_url = StringField(_l("Video link"), validators=[Length(max=500)])


class DisputeForm(FlaskForm):
    note = TextAreaField(
        _l("What happened?"), validators=[DataRequired(_l("Say what happened.")), Length(max=2000)]
    )


class SettingsForm(FlaskForm):
    timezone = SelectField(_l("Time zone"))
    capacity_per_month = sessions_per_month_field(_l("Sessions a month"))
    accepting_requests = BooleanField(_l("Accepting requests"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(z, z) for z in TIME_ZONES]


class WeeklySlotForm(FlaskForm):
    weekday = SelectField(_l("Day"), coerce=int, choices=WEEKDAYS)
    start_time = TimeField(_l("Start time"), validators=[InputRequired()])
    duration_minutes = WholeNumberField(
        _l("Minutes"), default=60, validators=[InputRequired(), NumberRange(min=15, max=240)]
    )


class OpeningForm(FlaskForm):
    starts_at = DateTimeLocalField(
        _l("Starts at"), format="%Y-%m-%dT%H:%M", validators=[InputRequired()]
    )
    duration_minutes = WholeNumberField(
        _l("Minutes"), default=60, validators=[InputRequired(), NumberRange(min=15, max=240)]
    )


class BlackoutForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=200)])


class OfficeHoursForm(FlaskForm):
    day = DateField(_l("Day"), validators=[InputRequired()])
    topic = SelectField(_l("Topic"))
    startups = SelectMultipleField(_l("Startups"), coerce=int)
    mentors = SelectMultipleField(_l("Mentors"), coerce=int)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.topic.choices = vocab_choices(vocab.MENTORING_TOPICS)

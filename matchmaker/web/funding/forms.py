"""Forms of the funding area."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.funding.pipeline import PASS_REASONS
from matchmaker.web.forms import DecimalField, MultiCheckboxField, vocab_choices


class AskForm(FlaskForm):
    round = SelectField(_l("Round"), validators=[DataRequired()])
    amount = DecimalField(
        _l("Amount"),
        places=2,
        validators=[
            DataRequired(_l("Enter the amount as a number.")),
            NumberRange(min=0.01, message=_l("The amount must be a positive number.")),
        ],
    )
    currency = SelectField(_l("Currency"), validators=[DataRequired()], default="CNY")
    instrument = SelectField(
        _l("Financing instrument"), validators=[DataRequired()], default="equity"
    )
    use_of_funds = TextAreaField(_l("Use of funds"), validators=[Length(max=5000)])
    traction = TextAreaField(_l("Traction"), validators=[Length(max=5000)])
    deck = FileField(_l("Pitch deck (PDF)"))
    is_open = BooleanField(_l("Open: investors can be pitched"), default=True)

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.round.choices = [c for c in vocab_choices(vocab.ROUNDS) if c[0] != "none"]
        self.currency.choices = vocab_choices(vocab.CURRENCIES)
        self.instrument.choices = vocab_choices(vocab.INSTRUMENTS)


class PitchForm(FlaskForm):
    investor_ids = MultiCheckboxField(_l("Investors"), coerce=int)
    message = TextAreaField(_l("A short message (optional)"), validators=[Length(max=2000)])


class MoveForm(FlaskForm):
    to_stage = HiddenField(validators=[DataRequired()])
    pass_reason = SelectField(_l("Why do you pass?"), validators=[Optional()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.pass_reason.choices = [("", "—")] + [
            (code, str(labels[0])) for code, labels in PASS_REASONS.items()
        ]


class NoteForm(FlaskForm):
    body = TextAreaField(
        _l("Note (only your fund sees it)"), validators=[DataRequired(), Length(max=5000)]
    )


class IntroductionForm(FlaskForm):
    startup_id = HiddenField(validators=[DataRequired()])
    investor_id = HiddenField(validators=[DataRequired()])
    side = HiddenField(validators=[DataRequired()])
    message = TextAreaField(_l("A short message (optional)"), validators=[Length(max=2000)])


class EmptyForm(FlaskForm):
    """CSRF only (accept, decline)."""


class PitchMessageForm(FlaskForm):
    """A message on a pitch's thread; the service checks the kind against the writer's side."""

    kind = SelectField(_l("Kind of message"), validators=[DataRequired()])
    body = TextAreaField(
        _l("Message"), validators=[DataRequired(_l("Write your message.")), Length(max=4000)]
    )

    def __init__(self, *args: object, kinds: tuple[str, ...] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        from matchmaker.services.funding.pitch_messages import KIND_LABELS

        self.kind.choices = [(k, str(KIND_LABELS[k])) for k in kinds]


class MeetingForm(FlaskForm):
    """When (Beijing time) and where the fund meets the founders."""

    starts_at = DateTimeLocalField(
        _l("Starts at (Beijing time)"),
        format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Pick a time in the future."))],
    )
    minutes = IntegerField(
        _l("Minutes"),
        default=60,
        validators=[
            InputRequired(),
            NumberRange(min=15, max=480, message=_l("A meeting lasts 15 to 480 minutes.")),
        ],
    )
    place = StringField(_l("Place (room, address)"), validators=[Length(max=200)])
    url = StringField(_l("Video link"), validators=[Length(max=500)])

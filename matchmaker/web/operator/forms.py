"""Forms of the operator console: policies, support records, imports."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.services.operator.disclosure import SUPPORT_KIND_LABELS, SUPPORT_KINDS, SupportKind
from matchmaker.services.operator.imports.import_columns import IMPORT_KINDS, KIND_LABELS
from matchmaker.services.operator.policy_center.policies import POLICY_KIND_LABELS, POLICY_KINDS
from matchmaker.web.forms import DecimalField, MultiCheckboxField, vocab_choices
from matchmaker.web.i18n import current_locale


class PolicyForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[DataRequired(), Length(max=200)])
    title_en = StringField(_l("Title (English)"), validators=[DataRequired(), Length(max=200)])
    issuer_zh = StringField(_l("Issuer (Chinese)"), validators=[Length(max=200)])
    issuer_en = StringField(_l("Issuer (English)"), validators=[Length(max=200)])
    document_number = StringField(_l("Document number"), validators=[Length(max=80)])
    kind = SelectField(_l("Kind of support"))
    summary_zh = TextAreaField(_l("Summary (Chinese)"), validators=[Length(max=5000)])
    summary_en = TextAreaField(_l("Summary (English)"), validators=[Length(max=5000)])
    full_text_zh = TextAreaField(_l("Full text (Chinese)"), validators=[Length(max=50000)])
    full_text_en = TextAreaField(_l("Full text (English)"), validators=[Length(max=50000)])
    sectors = MultiCheckboxField(_l("Only for these sectors (none: any)"))
    stages = MultiCheckboxField(_l("Only for these stages (none: any)"))
    founder_backgrounds = MultiCheckboxField(_l("Only for founders who are (none: anyone)"))
    chain_services = MultiCheckboxField(_l("Helps with these steps of the chain"))
    locations = StringField(
        _l("Only for companies located in (comma-separated places; empty: anywhere)"),
        validators=[Length(max=500)],
    )
    max_company_age_years = IntegerField(
        _l("Company at most this many years old"),
        validators=[Optional(), NumberRange(min=0, max=100)],
    )
    max_team_size = IntegerField(
        _l("Team of at most"), validators=[Optional(), NumberRange(min=1, max=100000)]
    )
    requires_makerspace = BooleanField(_l("Only for companies hosted in a makerspace"))
    benefit_amount = DecimalField(
        _l("Benefit amount (yuan)"), places=2, validators=[Optional(), NumberRange(min=0)]
    )
    benefit_currency = SelectField(_l("Currency"), default="CNY")
    deadline = DateField(_l("Application deadline"), validators=[Optional()])
    publish = BooleanField(_l("Publish now"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.kind.choices = [(k, vocab.label(POLICY_KIND_LABELS, k, locale)) for k in POLICY_KINDS]
        self.sectors.choices = vocab_choices(vocab.SECTORS)
        self.stages.choices = vocab_choices(vocab.STAGES)
        self.founder_backgrounds.choices = vocab_choices(vocab.FOUNDER_BACKGROUNDS)
        self.chain_services.choices = vocab_choices(vocab.CHAIN_SERVICES)
        self.benefit_currency.choices = vocab_choices(vocab.CURRENCIES)

    def values(self) -> dict[str, Any]:
        data = {
            name: self[name].data
            for name in (
                "title_zh", "title_en", "issuer_zh", "issuer_en", "document_number", "kind",
                "summary_zh", "summary_en", "full_text_zh", "full_text_en", "sectors", "stages",
                "founder_backgrounds", "chain_services", "locations", "max_company_age_years",
                "max_team_size", "requires_makerspace", "benefit_amount", "benefit_currency",
                "deadline",
            )
        }  # fmt: skip
        for key in ("issuer_zh", "issuer_en", "document_number", "summary_zh", "summary_en"):
            data[key] = data[key] or ""
        for key in ("full_text_zh", "full_text_en", "locations"):
            data[key] = data[key] or ""
        return data


class SupportForm(FlaskForm):
    startup_id = SelectField(_l("Startup"), coerce=int, validators=[DataRequired()])
    kind = SelectField(_l("Kind of support"))
    policy_id = SelectField(_l("Under the policy"), coerce=int, default=0)
    amount = DecimalField(
        _l("Amount (yuan)"), places=2, validators=[Optional(), NumberRange(min=0)]
    )
    granted_on = DateField(_l("Granted on"), validators=[DataRequired()])
    description = StringField(_l("Public description"), validators=[Length(max=300)])
    note = TextAreaField(_l("Internal note (never published)"), validators=[Length(max=5000)])
    # Asked for (and required) only when a check warns: duplicate, not eligible, over the cap.
    override_reason = TextAreaField(_l("Reason to record it anyway"), validators=[Length(max=1000)])

    def __init__(self, startups: Any, policies: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.startup_id.choices = [(s.id, s.name) for s in startups]
        self.kind.choices = [
            (k, vocab.label(SUPPORT_KIND_LABELS, k, locale))
            for k in SUPPORT_KINDS
            # sessions and bookings are recorded by their own areas, never by hand
            if k not in (SupportKind.SESSION, SupportKind.BOOKING)
        ]
        self.policy_id.choices = [(0, "—")] + [(p.id, p.title(locale)) for p in policies]


class ImportForm(FlaskForm):
    kind = SelectField(_l("What the file lists"))
    file = FileField(
        _l("Excel (.xlsx) or CSV file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["xlsx", "csv"], _l("Upload an .xlsx or .csv file.")),
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = current_locale()
        self.kind.choices = [(k, vocab.label(KIND_LABELS, k, locale)) for k in IMPORT_KINDS]


class ConfirmImportForm(FlaskForm):
    kind = HiddenField(validators=[DataRequired()])
    token = HiddenField(validators=[DataRequired()])
    filename = HiddenField()
    # Shown only when the very same file was imported before (its rows would be created twice).
    import_again = BooleanField(_l("Import it again"))


class ActionForm(FlaskForm):
    """A button that posts (publish, unpublish, residency): only the CSRF token."""

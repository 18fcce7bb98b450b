"""The API's request and response models (pydantic v2). spectree turns them into the OpenAPI
3.1 document, validates every query against them and every response body before it leaves."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Scope = Literal["statistics", "public", "own"]
# Row ids are 32-bit: nine digits always fit (a longer cursor is refused by the schema, not by
# the database); event sequences are 64-bit.
CURSOR = r"^[0-9]{1,9}$"
EVENT_CURSOR = r"^[0-9]{1,18}$"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- queries ---------------------------------------------------------------------------------


class PageQuery(Model):
    cursor: str | None = Field(None, pattern=CURSOR, description="next_cursor of the last page")
    limit: int = Field(50, ge=1, le=200)


class DisclosureQuery(PageQuery):
    year: int | None = Field(None, ge=1900, le=9999)


class StatisticsQuery(Model):
    start: date | None = Field(None, description="first day (default: twelve months ago)")
    end: date | None = Field(None, description="last day, inclusive (default: today)")


class EventsQuery(Model):
    cursor: str | None = Field(
        None, pattern=EVENT_CURSOR, description="next_cursor of the last page"
    )
    limit: int = Field(100, ge=1, le=500)


# --- shared ----------------------------------------------------------------------------------


class Problem(Model):
    """RFC 9457 problem details, in the caller's language (Accept-Language)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, str]] | None = None


class Envelope(Model):
    scopes: list[Scope] = Field(description="what this token can see")


class PageEnvelope(Envelope):
    next_cursor: str | None = Field(description="pass as cursor for the next page; null: no more")


# --- token ----------------------------------------------------------------------------------


class ScopeInfo(Model):
    scope: Scope
    description: str


class RateLimit(Model):
    limit_per_minute: int
    remaining: int


class TokenInfo(Envelope):
    name: str
    can_see: list[ScopeInfo]
    user_id: int | None
    rate_limit: RateLimit


# --- statistics ------------------------------------------------------------------------------


class PeriodOut(Model):
    start: date
    end: date


class DatasetOut(Model):
    label: str
    data: list[float]


class MetricOut(Model):
    key: str
    area: str
    title: str
    total: float | None
    unit: str
    note: str
    labels: list[str] = Field(description="months (YYYY-MM) for time series, else categories")
    datasets: list[DatasetOut]


class EquipmentFigures(Model):
    id: int
    hours_booked: float
    utilisation: float | None


class FacilityFiguresOut(Model):
    id: int
    name: str
    hours_booked: float
    hours_used: float
    utilisation: float | None = Field(description="hours used over hours open, 0-1")
    startups_served: int
    bookings: int
    no_shows: int
    vouchers_redeemed: float
    equipment: list[EquipmentFigures]


class StatisticsOut(Model):
    period: PeriodOut
    months: list[str]
    metrics: list[MetricOut]
    facilities: list[FacilityFiguresOut]


class StatisticsResponse(Envelope):
    data: StatisticsOut


# --- events ----------------------------------------------------------------------------------


class EventOut(Model):
    sequence: int
    kind: Literal["session_held", "booking_completed", "voucher_redeemed", "support_recorded"]
    occurred_at: str
    startup_id: int | None
    facility_id: int | None
    subject_id: int | None = Field(description="mentor, equipment, voucher or policy id, by kind")
    amount: float | None


class EventsResponse(Envelope):
    data: list[EventOut]
    next_cursor: str = Field(description="pass as cursor to get only what came after")
    has_more: bool


# --- public directories ----------------------------------------------------------------------


class StartupOut(Model):
    id: int
    name: str
    one_liner: str
    description: str
    sectors: list[str]
    stage: str
    funding_round: str
    location: str
    team_size: int
    founded_on: str | None
    website: str


class MentorOut(Model):
    id: int
    name: str
    kind: str
    headline: str
    expertise: str
    sectors: list[str]
    languages: list[str]
    mentoring_topics: list[str]
    organisation: str
    location: str
    accepting_requests: bool


class FundOut(Model):
    id: int
    name: str
    type: str
    thesis: str
    sectors: list[str]
    stages: list[str]
    ticket_min: float | None
    ticket_max: float | None
    currency: str
    instruments: list[str]
    regions: list[str]
    location: str
    website: str


class FacilityOut(Model):
    id: int
    name: str
    kind: str
    description: str
    address: str
    location: str
    opening_hours: str
    equipment_ids: list[int]


class Availability(Model):
    window_start: str = Field(description="free time is counted from here...")
    window_end: str = Field(description="...to here (seven days)")
    free_hours: float
    next_free_at: str | None


class EquipmentOut(Model):
    id: int
    facility_id: int
    name: str
    category: str
    model_specs: str
    description: str
    price_per_hour: float
    voucher_eligible: bool
    training_required: bool
    booking_mode: str
    availability: Availability


class PolicyOut(Model):
    id: int
    kind: str
    title: str
    issuer: str
    document_number: str
    summary: str
    sectors: list[str]
    stages: list[str]
    benefit_amount: float | None
    benefit_currency: str
    deadline: str | None
    published_at: str | None


class DisclosureOut(Model):
    startup_id: int
    startup_name: str
    kind: str
    what: str
    amount: float | None
    currency: str
    day: str


class StartupPage(PageEnvelope):
    data: list[StartupOut]


class MentorPage(PageEnvelope):
    data: list[MentorOut]


class FundPage(PageEnvelope):
    data: list[FundOut]


class FacilityPage(PageEnvelope):
    data: list[FacilityOut]


class EquipmentPage(PageEnvelope):
    data: list[EquipmentOut]


class PolicyPage(PageEnvelope):
    data: list[PolicyOut]


class DisclosurePage(PageEnvelope):
    data: list[DisclosureOut]


# --- own data --------------------------------------------------------------------------------


class ReasonOut(Model):
    code: str
    text: str


class RecommendationOut(Model):
    for_kind: Literal["startup", "mentor"]
    for_id: int
    kind: str
    id: int
    name: str
    score: float
    reasons: list[ReasonOut]


class RecommendationsResponse(Envelope):
    data: list[RecommendationOut]


class SessionOut(Model):
    id: int
    role: Literal["founder", "mentor"]
    mentor_id: int
    startup_id: int
    status: str
    topic: str
    starts_at: str | None
    ends_at: str | None


class BookingOut(Model):
    id: int
    equipment_id: int
    startup_id: int
    status: str
    starts_at: str | None
    ends_at: str | None
    price: float
    voucher_amount: float


class PitchOut(Model):
    id: int
    startup_id: int
    investor_id: int
    stage: str
    sent_at: str | None


class SessionPage(PageEnvelope):
    data: list[SessionOut]


class BookingPage(PageEnvelope):
    data: list[BookingOut]


class PitchPage(PageEnvelope):
    data: list[PitchOut]

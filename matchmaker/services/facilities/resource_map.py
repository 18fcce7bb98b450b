"""The navigation map of innovation resources (创新创业导航地图): makerspaces, facilities with
their instruments, mentors and funds, placed in the districts of the demo city (Chongqing) and
filtered by sector, category of resource and step of the incubation chain.

Facilities carry their district (``Facility.district``, set by managers, imports and the demo);
mentors, funds and facilities without one are placed by the first district named in their
location or address text. What names no district of the city is still listed (under "district
not given"), never dropped. The boundaries are the vendored GeoJSON
(``static/vendor/chongqing.geojson``); its district names are the keys used here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from matchmaker import vocab
from matchmaker.i18n import lazy_gettext as _l
from matchmaker.models import Facility, Investor, Mentor
from matchmaker.services.errors import Forbidden, Invalid, NotFound
from matchmaker.services.transactions import commit, use_case

# The districts (区/县) of Chongqing as the boundary file names them, with English names.
DISTRICTS: vocab.Labels = {
    "万州区": ("Wanzhou", "万州区"), "涪陵区": ("Fuling", "涪陵区"),
    "渝中区": ("Yuzhong", "渝中区"),
    "大渡口区": ("Dadukou", "大渡口区"), "江北区": ("Jiangbei", "江北区"),
    "沙坪坝区": ("Shapingba", "沙坪坝区"), "九龙坡区": ("Jiulongpo", "九龙坡区"),
    "南岸区": ("Nan'an", "南岸区"), "北碚区": ("Beibei", "北碚区"), "綦江区": ("Qijiang", "綦江区"),
    "大足区": ("Dazu", "大足区"), "渝北区": ("Yubei", "渝北区"), "巴南区": ("Banan", "巴南区"),
    "黔江区": ("Qianjiang", "黔江区"), "长寿区": ("Changshou", "长寿区"),
    "江津区": ("Jiangjin", "江津区"), "合川区": ("Hechuan", "合川区"),
    "永川区": ("Yongchuan", "永川区"), "南川区": ("Nanchuan", "南川区"),
    "璧山区": ("Bishan", "璧山区"), "铜梁区": ("Tongliang", "铜梁区"),
    "潼南区": ("Tongnan", "潼南区"), "荣昌区": ("Rongchang", "荣昌区"),
    "梁平县": ("Liangping", "梁平县"), "城口县": ("Chengkou", "城口县"),
    "丰都县": ("Fengdu", "丰都县"), "垫江县": ("Dianjiang", "垫江县"),
    "武隆县": ("Wulong", "武隆县"), "忠县": ("Zhong County", "忠县"),
    "云阳县": ("Yunyang", "云阳县"),
    "奉节县": ("Fengjie", "奉节县"), "巫山县": ("Wushan", "巫山县"), "巫溪县": ("Wuxi", "巫溪县"),
    "石柱土家族自治县": ("Shizhu", "石柱土家族自治县"),
    "秀山土家族苗族自治县": ("Xiushan", "秀山土家族苗族自治县"),
    "酉阳土家族苗族自治县": ("Youyang", "酉阳土家族苗族自治县"),
    "彭水苗族土家族自治县": ("Pengshui", "彭水苗族土家族自治县"),
    "开州区": ("Kaizhou", "开州区"),
}  # fmt: skip
# Names people write that are not districts of the boundary file. Liangjiang New Area spans
# Yubei, Jiangbei and Beibei; its administration and most of its parks sit in Yubei.
# A profile's kind ("facility", "mentor" or "investor") and id -> its page's URL.
ProfileLink = Callable[[str, int], str]

ALIASES = {"两江新区": "渝北区", "Liangjiang": "渝北区", "梁平区": "梁平县", "武隆区": "武隆县"}

RESOURCE_KINDS: vocab.Labels = {
    "makerspace": ("Makerspaces", "众创空间"),
    "facility": ("Facilities and instruments", "共享设施与仪器"),
    "mentor": ("Mentors", "创业导师"),
    "fund": ("Funds", "投资机构"),
}
# Which mentoring topics serve each step of the chain (for the chain filter on mentors).
CHAIN_TOPICS: dict[str, tuple[str, ...]] = {
    "design": ("product", "technology"),
    "prototyping": ("technology", "operations"),
    "testing": ("technology",),
    "ip_patents": ("legal_ip",),
    "pilot_production": ("operations",),
    "promotion": ("marketing",),
}


def _short(name: str) -> str:
    for suffix in ("土家族苗族自治县", "苗族土家族自治县", "土家族自治县", "区", "县"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def district_of(*texts: str) -> str:
    """The first district of the city named in ``texts`` (Chinese full or short name, an
    alias, or the English name as a word), or ""."""
    for text in texts:
        if not text:
            continue
        folded = text.casefold()
        for alias, district in ALIASES.items():
            if alias.casefold() in folded:
                return district
        for district, (english, _zh) in DISTRICTS.items():
            if district in text or _short(district) in text:
                return district
            if f"{english.casefold()} district" in folded or f"{english.casefold()}," in folded:
                return district
    return ""


def clean_district(raw: str | None) -> str:
    """A district as a form or import gives it: "" or a known district (aliases resolved)."""
    value = (raw or "").strip()
    if not value:
        return ""
    if value in DISTRICTS:
        return value
    found = district_of(value)
    if not found:
        raise Invalid(_l("Choose a district of the list."), field="district")
    return found


@dataclass
class MapItem:
    kind: str
    id: int
    name: str
    district: str
    district_label: str
    url: str
    detail: str
    tags: list[str] = field(default_factory=list)
    coordinates: list[float] | None = None


@dataclass
class ResourceMap:
    items: list[MapItem]
    counts: dict[str, int]  # district -> items in it (after the filters)
    unplaced: int

    def as_json(self) -> dict[str, Any]:
        return {
            "items": [asdict(i) for i in self.items],
            "counts": self.counts,
            "unplaced": self.unplaced,
        }


@dataclass(frozen=True)
class MapFilters:
    sector: str = ""
    category: str = ""
    chain: str = ""
    district: str = ""

    @classmethod
    def parse(cls, args: Any) -> MapFilters:
        """Query-string filters; an unknown code is a translated 422, never silently ignored."""
        values = {}
        for key, vocabulary in (
            ("sector", vocab.SECTORS),
            ("category", RESOURCE_KINDS),
            ("chain", vocab.CHAIN_SERVICES),
            ("district", DISTRICTS),
        ):
            value = (args.get(key) or "").strip()
            if value and value not in vocabulary:
                raise Invalid(_l("Choose a value from the list."), field=key)
            values[key] = value
        return cls(**values)


def _label(district: str, locale: str | None) -> str:
    if not district:
        return str(_l("District not given"))
    return vocab.label(DISTRICTS, district, locale)


def _facility_items(
    session: Session, filters: MapFilters, locale: str | None, link_for: ProfileLink
) -> list[MapItem]:
    if filters.sector:  # facilities are not tied to a sector
        return []
    out = []
    facilities = session.scalars(
        sa.select(Facility)
        .options(selectinload(Facility.equipment))
        .where(Facility.is_active.is_(True))
        .order_by(Facility.name, Facility.id)
    )
    for f in facilities:
        kind = "makerspace" if f.kind == "makerspace_lab" else "facility"
        if filters.category and filters.category != kind:
            continue
        instruments = [e for e in f.equipment if e.is_active]
        if filters.chain:
            instruments = [e for e in instruments if e.category == filters.chain]
            if not instruments:
                continue
        district = f.district or district_of(f.location, f.address)
        coordinates = (
            [float(f.longitude), float(f.latitude)]
            if f.latitude is not None and f.longitude is not None
            else None
        )
        out.append(
            MapItem(
                kind=kind, id=f.id, name=f.name, district=district,
                district_label=_label(district, locale),
                url=link_for("facility", f.id),
                detail="、".join(e.name for e in instruments[:6])
                if (locale or "").startswith("zh") else ", ".join(e.name for e in instruments[:6]),
                tags=sorted({vocab.label(vocab.EQUIPMENT_CATEGORIES, e.category, locale)
                             for e in instruments}),
                coordinates=coordinates,
            )
        )  # fmt: skip
    return out


def _mentor_items(
    session: Session, filters: MapFilters, locale: str | None, link_for: ProfileLink
) -> list[MapItem]:
    if filters.category and filters.category != "mentor":
        return []
    out = []
    mentors = session.scalars(
        sa.select(Mentor)
        .options(selectinload(Mentor.user))
        .where(Mentor.is_active.is_(True))
        .order_by(Mentor.id)
    )
    for m in mentors:
        if filters.sector and filters.sector not in m.sectors:
            continue
        if filters.chain and not set(CHAIN_TOPICS[filters.chain]) & set(m.mentoring_topics):
            continue
        district = district_of(m.location, m.organisation)
        out.append(
            MapItem(
                kind="mentor", id=m.id, name=m.user.display_name, district=district,
                district_label=_label(district, locale),
                url=link_for("mentor", m.id), detail=m.headline,
                tags=[vocab.label(vocab.SECTORS, s, locale) for s in m.sectors],
            )
        )  # fmt: skip
    return out


def _fund_items(
    session: Session, filters: MapFilters, locale: str | None, link_for: ProfileLink
) -> list[MapItem]:
    if filters.chain or (filters.category and filters.category != "fund"):
        return []  # funds finance a company, not one step of its chain
    out = []
    funds = session.scalars(
        sa.select(Investor).where(Investor.is_active.is_(True)).order_by(Investor.name)
    )
    for i in funds:
        if filters.sector and filters.sector not in i.sectors:
            continue
        district = district_of(i.location)
        out.append(
            MapItem(
                kind="fund", id=i.id, name=i.name, district=district,
                district_label=_label(district, locale),
                url=link_for("investor", i.id),
                detail=vocab.label(vocab.INVESTOR_TYPES, i.type, locale),
                tags=[vocab.label(vocab.SECTORS, s, locale) for s in i.sectors],
            )
        )  # fmt: skip
    return out


def resource_map(
    session: Session, filters: MapFilters, locale: str | None, link_for: ProfileLink
) -> ResourceMap:
    """Every active resource that passes ``filters``, with its district, and the count per
    district (what the map colours); each item links to its profile page by ``link_for`` (the
    view's ``url_for``)."""
    items = [
        *_facility_items(session, filters, locale, link_for),
        *_mentor_items(session, filters, locale, link_for),
        *_fund_items(session, filters, locale, link_for),
    ]
    if filters.district:
        items = [i for i in items if i.district == filters.district]
    counts: dict[str, int] = {}
    for item in items:
        if item.district:
            counts[item.district] = counts.get(item.district, 0) + 1
    unplaced = sum(1 for i in items if not i.district)
    items.sort(
        key=lambda i: (not i.district, i.district, list(RESOURCE_KINDS).index(i.kind), i.name)
    )
    return ResourceMap(items=items, counts=counts, unplaced=unplaced)


# --- a facility's place ------------------------------------------------------------------------

LATITUDE = (Decimal("-90"), Decimal("90"))
LONGITUDE = (Decimal("-180"), Decimal("180"))


def _coordinate(raw: Any, bounds: tuple[Decimal, Decimal], key: str) -> Decimal | None:
    text = str(raw or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise Invalid(_l("Enter a number."), field=key) from None
    if not value.is_finite() or not bounds[0] <= value <= bounds[1]:
        raise Invalid(
            _l("Enter a number between %(low)s and %(high)s.", low=bounds[0], high=bounds[1]),
            field=key,
        )
    return value.quantize(Decimal("0.000001"))


@use_case
def set_facility_location(
    session: Session,
    actor: Any,
    facility_id: int,
    *,
    district: str | None,
    latitude: Any = None,
    longitude: Any = None,
) -> Facility:
    """A manager of the facility (or an operator) sets its district and, optionally, both of
    its coordinates. Everything is checked before anything is written."""
    facility = session.get(Facility, facility_id)
    if facility is None:
        raise NotFound(_l("No such facility."))
    if not (
        getattr(actor, "is_authenticated", False)
        and (actor.is_operator or facility.has_manager(actor))
    ):
        raise Forbidden(_l("Only the facility's managers and operators can do this."))
    chosen = clean_district(district)
    lat = _coordinate(latitude, LATITUDE, "latitude")
    lon = _coordinate(longitude, LONGITUDE, "longitude")
    if (lat is None) != (lon is None):
        raise Invalid(
            _l("Give both latitude and longitude, or neither."),
            field="longitude" if lon is None else "latitude",
        )
    facility.district, facility.latitude, facility.longitude = chosen, lat, lon
    commit(session)
    return facility

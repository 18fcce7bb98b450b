"""The shared facilities of ``tables.FACILITIES``, each with a manager account and its equipment."""

from __future__ import annotations

import random
from collections.abc import Callable
from decimal import Decimal

from matchmaker.demo.context import days_before
from matchmaker.demo.people import Person
from matchmaker.demo.tables import FACILITIES
from matchmaker.models import Equipment, Facility, FacilityManager, User

# The demo facility manager runs the materials analysis centre (XRD, SEM...), the lab the demo
# founder's battery-materials startup needs.
DEMO_FACILITY = "大学城材料分析测试中心"


def build_facilities(
    rng: random.Random,
    make_user: Callable[[Person, list[str]], User],
    people: Callable[[bool], Person],
    demo_manager: User,
) -> list[Facility]:
    facilities = []
    for j, spec in enumerate(FACILITIES):
        facility = Facility(
            name=spec["name"],
            kind=spec["kind"],
            description=spec["description"],
            address=spec["address"],
            location=spec["location"],
            district=spec["district"],
            opening_hours=spec["opening_hours"],
            contact_email=spec["email"],
            created_at=days_before(500 - j * 20),
            updated_at=days_before(rng.randint(1, 40)),
        )
        if spec["name"] == DEMO_FACILITY:
            manager = demo_manager
        else:
            manager = make_user(people(spec["lang"] == "zh"), ["facility_manager"])
        facility.managers.append(FacilityManager(user=manager))
        for name, category, specs, description, price, voucher, training, mode in spec["equipment"]:
            facility.equipment.append(
                Equipment(
                    name=name,
                    category=category,
                    model_specs=specs,
                    description=description,
                    price_per_hour=Decimal(price),
                    voucher_eligible=voucher,
                    training_required=training,
                    booking_mode=mode,
                    created_at=facility.created_at,
                    updated_at=days_before(rng.randint(1, 40)),
                )
            )
        facilities.append(facility)
    return facilities

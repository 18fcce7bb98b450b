"""What kind of thing a demo venture makes, from its sector and one-liner: it picks what the
venture raises money for and which makerspace services it can use (``tables.USE_OF_FUNDS`` and
``tables.KIND_SERVICES``), so each demo startup's needs, ask and text tell one story (issue 16:
no speech-recognition company raising for clinical trials)."""

from __future__ import annotations

import re

_DIGITAL = re.compile(
    r"platform|\bapp\b|SaaS|mini-program|recruiting|平台|软件|游戏|数字|语音识别", re.I
)


def venture_kind(sector: str, one_liner: str) -> str:
    """What a venture makes, from its sector and one-liner (the phrase banks' ventures)."""
    if _DIGITAL.search(one_liner) or sector == "internet":
        return "digital"
    if sector == "modern_services" or re.search(r"clubs|programmes|服务站", one_liner):
        return "services"
    if sector == "cultural_creative" or re.search(r"食品|food", one_liner, re.I):
        return "consumer"
    if sector == "medicine_health" or (sector == "big_health" and "可穿戴" in one_liner):
        return "medical"
    if sector == "biotechnology":
        return "lifescience"
    if sector == "modern_agriculture":
        return "agriculture"
    return "hardware"

# ruff: noqa: E501  (prose data: a sentence is kept on one line so it can be read and edited)
"""What a demo venture raises money for and which makerspace services it can use, by the kind of
thing it makes (from its sector and one-liner) and how far it is. Keeps each demo startup's
needs, ask and text one story (issue 16: no speech-recognition company raising for clinical
trials)."""

from __future__ import annotations

import re

# What the money is for depends on what the venture makes and how far it is: a speech-recognition
# SaaS does not raise for clinical trials, an idea-stage team does not expand production.
# kind -> (early: idea/prototype, late: pilot/market) -> (Chinese, English) sentences.
USE_OF_FUNDS: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "medical": {
        "early": (
            (
                "用于完成动物实验和型式检验前的设计验证，并扩充研发团队。",
                "用于完善样机、准备注册检验资料和知识产权布局。",
            ),
            (
                "Design verification before type testing, and two R&D hires.",
                "A refined prototype, the registration dossier and patent filings.",
            ),
        ),
        "late": (
            (
                "主要用于完成产品注册检验和临床试验，以及首批量产备货。",
                "用于多中心临床研究、GMP产线认证和首批医院推广。",
            ),
            (
                "Clinical study sites, registration and the first production batch.",
                "A multi-centre clinical study, GMP certification and the first hospital sales.",
            ),
        ),
    },
    "lifescience": {
        "early": (
            (
                "用于工艺开发、与合作实验室的验证和专利布局。",
                "用于菌种或工艺优化，以及核心研发人员扩充。",
            ),
            (
                "Process development, validation with partner labs and patent filings.",
                "Process optimisation and two senior scientists.",
            ),
        ),
        "late": (
            (
                "用于中试放大、GMP级生产线建设和首批客户交付。",
                "扩大产能、建设销售团队，并开拓成渝以外的市场。",
            ),
            (
                "Scale-up to a GMP-grade pilot line and the first customer deliveries.",
                "More capacity, a sales team and customers beyond Chengdu-Chongqing.",
            ),
        ),
    },
    "hardware": {
        "early": (
            ("用于样机迭代、可靠性测试和知识产权布局。", "用于完成工程样机和首批客户试用。"),
            (
                "Prototype iterations, reliability testing and patent filings.",
                "An engineering prototype and the first customer trials.",
            ),
        ),
        "late": (
            (
                "约60%用于研发团队扩充和中试线建设，25%用于市场拓展，其余补充流动资金。",
                "扩大产能、建设销售团队，并开拓成渝以外的市场。",
            ),
            (
                "Roughly 60% for engineering hires and the pilot line, 25% for sales, the rest as runway.",
                "Certification, the first production batch and two key hires.",
            ),
        ),
    },
    "agriculture": {
        "early": (
            (
                "用于田间试验、工艺验证以及与合作社的试点。",
                "用于示范基地的小规模试验和品种（工艺）筛选。",
            ),
            (
                "Field trials, process validation and pilots with two cooperatives.",
                "Small-scale trials on a demonstration site.",
            ),
        ),
        "late": (
            (
                "用于建设加工与示范基地、扩大产能，并拓展销售渠道。",
                "用于复制示范基地、建设冷链与销售网络。",
            ),
            (
                "A processing and demonstration site, more capacity and new sales channels.",
                "Two more sites, cold-chain logistics and a sales network.",
            ),
        ),
    },
    "digital": {
        "early": (
            (
                "用于产品研发和首批用户获取，补充两名工程师。",
                "用于最小可行产品开发、首批付费用户验证和软件著作权登记。",
            ),
            (
                "Product development, the first paying users and two engineers.",
                "A minimum viable product, paying pilot users and software copyright filings.",
            ),
        ),
        "late": (
            (
                "用于扩充研发和销售团队、云服务与数据合规投入，并开拓成渝以外的市场。",
                "用于产品线扩展、渠道建设和客户成功团队。",
            ),
            (
                "Engineering and sales hires, cloud costs and data-compliance work, and new markets.",
                "New product modules, channel partners and a customer-success team.",
            ),
        ),
    },
    "services": {
        "early": (
            ("用于组建核心服务团队和签约首批客户。", "用于服务流程标准化和首批客户案例。"),
            (
                "A core service team and the first signed clients.",
                "Standard service processes and the first client cases.",
            ),
        ),
        "late": (
            ("用于扩充服务团队、在成都和西安设立办公室。", "用于服务平台建设和市场推广。"),
            (
                "More consultants and offices in Chengdu and Xi'an.",
                "A service platform and marketing.",
            ),
        ),
    },
    "consumer": {
        "early": (
            ("用于产品设计打样、知识产权保护和首批渠道测试。", "用于样品开发和线上小规模试销。"),
            (
                "Design samples, IP protection and the first sales-channel tests.",
                "Samples and a small online test launch.",
            ),
        ),
        "late": (
            ("用于扩大供应链与生产规模、品牌建设和线上线下渠道。", "用于新品开发和全国渠道拓展。"),
            (
                "A larger supply chain and production runs, the brand, online and offline channels.",
                "New products and national distribution.",
            ),
        ),
    },
}
# The services each kind of venture can use (a subset of the stage's; see STAGE_SERVICES).
KIND_SERVICES: dict[str, tuple[str, ...]] = {
    "digital": ("design", "ip_patents", "promotion"),
    "services": ("ip_patents", "promotion"),
    "consumer": ("design", "prototyping", "ip_patents", "pilot_production", "promotion"),
}
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

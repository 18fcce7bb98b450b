"""Controlled vocabularies of the incubation chain, with bilingual labels.

Plain data so that every layer can use it: the engine (which knows nothing of Flask) reads the
codes, the web layer shows ``label(code, locale)``. Codes are what the database stores; they never
change once data exists. The sector list and the chain's services come from the two policy
documents in ``shared/seeds`` (国办发〔2016〕7号 and Chongqing's implementing opinions).
"""

from __future__ import annotations

from collections.abc import Mapping

Labels = Mapping[str, tuple[str, str]]  # code -> (English, 简体中文)

SECTORS: Labels = {
    "electronic_information": ("Electronic information", "电子信息"),
    "biotechnology": ("Biotechnology", "生物技术"),
    "modern_agriculture": ("Modern agriculture", "现代农业"),
    "high_end_equipment": ("High-end equipment manufacturing", "高端装备制造"),
    "new_energy": ("New energy", "新能源"),
    "new_materials": ("New materials", "新材料"),
    "energy_saving_environment": ("Energy saving and environmental protection", "节能环保"),
    "medicine_health": ("Medicine and health", "医药卫生"),
    "cultural_creative": ("Cultural and creative industries", "文化创意"),
    "modern_services": ("Modern services", "现代服务业"),
    "advanced_manufacturing": ("Advanced manufacturing", "先进制造"),
    "internet": ("Internet", "互联网"),
    "big_health": ("Big health", "大健康"),
}

# Position along the incubation chain, in order.
STAGES: Labels = {
    "idea": ("Idea", "创意"),
    "prototype": ("Prototype", "样机"),
    "pilot": ("Pilot", "中试"),
    "market": ("Market", "市场化"),
}

# Funding rounds, in order. "none" means not yet raised.
ROUNDS: Labels = {
    "none": ("Not raised", "未融资"),
    "seed": ("Seed", "种子轮"),
    "angel": ("Angel", "天使轮"),
    "pre_a": ("Pre-A", "Pre-A轮"),
    "a": ("Series A", "A轮"),
    "b_plus": ("Series B and later", "B轮及以后"),
}

MENTORING_TOPICS: Labels = {
    "strategy": ("Strategy", "战略"),
    "fundraising": ("Fundraising", "融资"),
    "legal_ip": ("Legal and IP", "法律与知识产权"),
    "technology": ("Technology", "技术"),
    "product": ("Product", "产品"),
    "marketing": ("Marketing and sales", "市场与销售"),
    "operations": ("Operations and manufacturing", "运营与生产"),
    "finance": ("Finance and accounting", "财务"),
    "policy": ("Government policy and subsidies", "政策与补贴"),
    "hiring": ("Team and hiring", "团队与招聘"),
}

# Services along the chain (全链条): what a startup needs and what equipment serves.
CHAIN_SERVICES: Labels = {
    "design": ("Industrial and R&D design", "工业设计与研发设计"),
    "prototyping": ("Prototyping and model processing", "模型加工与样机制造"),
    "testing": ("Inspection and testing", "检验检测"),
    "ip_patents": ("IP, patents and standards", "知识产权与专利标准"),
    "pilot_production": ("Pilot and small-batch production", "中试与小批量生产"),
    "promotion": ("Product promotion", "产品推广"),
}

FOUNDER_BACKGROUNDS: Labels = {
    "researcher_on_leave": ("Researcher on leave from an institute", "科研人员离岗创业"),
    "university_student": ("University student or graduate", "大学生创业"),
    "returnee": ("Returnee from overseas", "海归人才"),
    "foreign_talent": ("Foreign talent", "外籍人才"),
    "hk_macao_taiwan": ("Hong Kong, Macao or Taiwan talent", "港澳台人才"),
    "corporate_spinoff": ("Corporate employee or spin-off", "企业高管及连续创业者"),
    "veteran": ("Veteran", "退役军人"),
}

MENTOR_KINDS: Labels = {
    "entrepreneur": ("Entrepreneur", "企业家"),
    "investor": ("Investor", "投资人"),
    "technical_expert": ("Technical expert", "技术专家"),
    "lawyer": ("Lawyer / legal adviser", "法律咨询人士"),
    "business_planner": ("Business planner", "商务策划者"),
    "trainer": ("Startup trainer", "创业培训师"),
    "consultant": ("Startup consultant", "创业咨询师"),
}

INVESTOR_TYPES: Labels = {
    "angel": ("Angel investor", "天使投资人"),
    "seed_fund": ("Seed fund", "种子基金"),
    "vc": ("Venture capital", "风险投资"),
    "pe": ("Private equity", "私募股权"),
    "corporate_vc": ("Corporate VC", "企业风投"),
    "government_guidance_fund": ("Government guidance fund", "政府引导基金"),
    "bank": ("Bank", "银行"),
    "crowdfunding": ("Crowdfunding platform", "众筹平台"),
}

INSTRUMENTS: Labels = {
    "equity": ("Equity", "股权"),
    "convertible": ("Convertible note", "可转债"),
    "debt": ("Debt / bank loan", "债权/银行贷款"),
    "grant": ("Government grant or subsidy", "政府资助/补贴"),
    "crowdfunding": ("Crowdfunding", "众筹"),
    "equity_debt": ("Equity plus debt", "股债结合"),
    # An equity round with a bank loan linked to it (the bank lends against the investors'
    # equity, often 1:1): a policy instrument of its own, offered by banks and guidance funds.
    "investment_loan": ("Investment-loan linkage (equity round plus linked loan)", "投贷联动"),
}

CURRENCIES: Labels = {
    "CNY": ("Chinese yuan", "人民币"),
    "USD": ("US dollar", "美元"),
    "EUR": ("Euro", "欧元"),
    "HKD": ("Hong Kong dollar", "港币"),
}

FACILITY_KINDS: Labels = {
    "makerspace_lab": ("Makerspace lab", "众创空间实验室"),
    "university_lab": ("University or institute lab", "高校院所实验室"),
    "enterprise_lab": ("Enterprise lab", "企业实验室"),
    "military_civil": ("Military-civil shared facility", "军民融合共享设施"),
}

# Equipment categories follow the chain's services that equipment can provide.
EQUIPMENT_CATEGORIES: Labels = {
    "design": ("Design", "设计"),
    "prototyping": ("Prototyping and model processing", "样机与模型加工"),
    "testing": ("Inspection and testing", "检验检测"),
    "pilot_production": ("Pilot production", "中试生产"),
    "computing": ("Computing and data", "计算与数据"),
}

BOOKING_MODES: Labels = {
    "instant": ("Instant booking", "即时预约"),
    "approval": ("Needs approval", "需审批"),
}

LANGUAGES: Labels = {
    "zh": ("Chinese", "中文"),
    "en": ("English", "英语"),
    "ja": ("Japanese", "日语"),
    "ko": ("Korean", "韩语"),
    "de": ("German", "德语"),
    "fr": ("French", "法语"),
    "ru": ("Russian", "俄语"),
}

ROLES: Labels = {
    "founder": ("Founder", "创业者"),
    "mentor": ("Mentor", "创业导师"),
    "investor": ("Investor", "投资人"),
    "facility_manager": ("Facility manager", "设施管理员"),
    "operator": ("Operator", "运营人员"),
}

UI_LOCALES = ("zh_CN", "en")


def label(vocabulary: Labels, code: str, locale: str | None) -> str:
    """The label of ``code`` in ``locale`` ("zh..." gives Chinese); the code itself if unknown."""
    pair = vocabulary.get(code)
    if pair is None:
        return code
    return pair[1] if (locale or "").startswith("zh") else pair[0]


def choices(vocabulary: Labels, locale: str | None) -> list[tuple[str, str]]:
    """(code, label) pairs in vocabulary order, for form select fields."""
    return [(code, label(vocabulary, code, locale)) for code in vocabulary]


def ordinal(vocabulary: Labels, code: str | None) -> int | None:
    """Position of ``code`` in an ordered vocabulary (stages, rounds), or None."""
    if code is None:
        return None
    try:
        return list(vocabulary).index(code)
    except ValueError:
        return None

# ruff: noqa: E501 - quoted policy texts read better unbroken
"""The support measures of the two seed documents, as policies of the policy center.

Quoted from 国务院办公厅《关于加快众创空间发展服务实体经济转型升级的指导意见》(国办发〔2016〕7号)
and 重庆市科学技术委员会's implementing opinions of 2016-10-12. Where a document leaves a
condition to "符合规定条件" the rule is left unstructured (the text match helps there); the one
interpretation we add is marked in the summary (a micro enterprise taken as at most 20 people).

``seed_policies`` is idempotent: policies are keyed by ``slug`` and updated in place.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from matchmaker.models import utcnow
from matchmaker.models.operator import Policy
from matchmaker.services.transactions import commit

STATE_COUNCIL = ("General Office of the State Council", "国务院办公厅")
STATE_COUNCIL_DOC = "国办发〔2016〕7号"
CHONGQING = ("Chongqing Municipal Science and Technology Commission", "重庆市科学技术委员会")
CHONGQING_DOC = "重庆市科委关于加快众创空间发展的实施意见（2016-10-12）"
CHONGQING_PLACES = ["重庆", "Chongqing"]

SEED_POLICIES: tuple[dict[str, Any], ...] = (
    {
        "slug": "cq-micro-startup-subsidy",
        "kind": "subsidy",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "Startup subsidy of up to 50,000 yuan for micro enterprises in a makerspace",
        "title_zh": "入驻众创空间的微型企业创业补助（5万元以内）",
        "summary_en": (
            "Micro enterprises hosted in a makerspace receive a startup subsidy of up to 50,000 "
            "yuan from the municipal departments, plus follow-up support for rent, equipment "
            "purchase and loan interest. (The platform takes a micro enterprise as at most 20 "
            "people.)"
        ),
        "summary_zh": (
            "入驻众创空间的微型企业，由市级相关部门按规定给予5万元以内的创业补助，以及场地租金、生产经营设备"
            "购置、商业贷款贴息等后续扶持。（平台按团队不超过20人认定微型企业。）"
        ),
        "full_text_en": (
            "Micro enterprises that move into a makerspace receive, from the relevant municipal "
            "departments and according to the rules, a startup subsidy of up to 50,000 yuan, a "
            "startup support loan of 150,000 yuan, and follow-up subsidies for site rent, "
            "purchase of production equipment and interest on commercial loans."
        ),
        "full_text_zh": (
            "入驻众创空间的微型企业，由有市级相关部门按规定给予5万元以内的创业补助、15万元的创业扶持贷款，"
            "以及场地租金、生产经营设备购置、商业贷款贴息等后续扶持项目的补助。"
        ),
        "requires_makerspace": True,
        "max_team_size": 20,
        "locations": CHONGQING_PLACES,
        "benefit_amount": Decimal("50000"),
    },
    {
        "slug": "cq-micro-startup-loan",
        "kind": "loan",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "Startup support loan of 150,000 yuan for micro enterprises in a makerspace",
        "title_zh": "入驻众创空间的微型企业创业扶持贷款（15万元）",
        "summary_en": (
            "A startup support (guarantee) loan of 150,000 yuan for micro enterprises hosted in "
            "a makerspace. (The platform takes a micro enterprise as at most 20 people.)"
        ),
        "summary_zh": "入驻众创空间的微型企业可获得15万元创业扶持贷款。（平台按团队不超过20人认定微型企业。）",
        "full_text_en": (
            "Micro enterprises that move into a makerspace receive from the relevant municipal "
            "departments, according to the rules, a startup support loan of 150,000 yuan."
        ),
        "full_text_zh": "入驻众创空间的微型企业，由有市级相关部门按规定给予15万元的创业扶持贷款。",
        "requires_makerspace": True,
        "max_team_size": 20,
        "locations": CHONGQING_PLACES,
        "benefit_amount": Decimal("150000"),
    },
    {
        "slug": "cq-rd-equipment-deduction",
        "kind": "tax",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "One-off pre-tax deduction for R&D instruments and equipment up to 1,000,000 yuan",
        "title_zh": "研发仪器设备一次性税前扣除（单位价值不超过100万元）",
        "summary_en": (
            "Instruments and equipment bought after 1 January 2014 and used only for R&D, with "
            "a unit value of at most 1,000,000 yuan, may be deducted at once from taxable "
            "income; above that, accelerated depreciation applies. Imported research "
            "instruments may be exempt from customs duty and import VAT."
        ),
        "summary_zh": (
            "2014年1月1日后新购进并专门用于研发活动的仪器、设备，单位价值不超过100万元的，可以一次性在计算"
            "应纳税所得额时扣除；超过100万元的可缩短折旧年限或加速折旧；进口科研仪器设备符合条件的免征关税和"
            "进口环节增值税。"
        ),
        "full_text_en": (
            "For makerspaces meeting the conditions, instruments and equipment newly purchased "
            "after 1 January 2014 and used specifically for research and development, with a "
            "unit value not exceeding 1 million yuan, may be deducted in one go when computing "
            "taxable income; those above 1 million yuan may shorten the depreciation period to "
            "no less than 60% of the statutory period or use the double-declining-balance or "
            "sum-of-years-digits method. Imported research instruments meeting the conditions "
            "are exempt from customs duty and import-stage VAT."
        ),
        "full_text_zh": (
            "符合规定条件的众创空间，2014年1月1日后新购进并专门用于研发活动的仪器、设备，单位价值不超过100万元"
            "的，可以一次性在计算应纳税所得额时扣除；单位价值超过100万元的，允许按不低于企业所得税法规定折旧年限"
            "的60%缩短折旧年限，或选择采取双倍余额递减法或年数总和法进行加速折旧；进口科研仪器设备符合规定条件的，"
            "免征关税和进口环节增值税。"
        ),
        "chain_services": ["testing", "prototyping", "pilot_production"],
        "benefit_amount": Decimal("1000000"),
    },
    {
        "slug": "sc-rd-expense-super-deduction",
        "kind": "tax",
        "issuer": STATE_COUNCIL,
        "document_number": STATE_COUNCIL_DOC,
        "title_en": "Additional pre-tax deduction of R&D expenses for small and micro enterprises",
        "title_zh": "研发费用税前加计扣除",
        "summary_en": (
            "R&D expenses of makerspaces, of R&D that companies and institutes commission from "
            "makerspaces, and of small and micro enterprises doing R&D themselves or on "
            "commission may be deducted with a premium before tax."
        ),
        "summary_zh": (
            "众创空间发生的研发费用，企业和高校院所委托众创空间开展研发活动以及小微企业受委托或自身开展研发活动"
            "发生的研发费用，符合规定条件的可适用研发费用税前加计扣除政策。"
        ),
        "full_text_en": (
            "Research and development expenses incurred by makerspaces, by enterprises and "
            "universities commissioning makerspaces to carry out R&D, and by small and micro "
            "enterprises carrying out R&D on commission or on their own, may, where they meet "
            "the conditions, enjoy the additional pre-tax deduction of R&D expenses."
        ),
        "full_text_zh": (
            "众创空间发生的研发费用，企业和高校院所委托众创空间开展研发活动以及小微企业受委托或自身开展研发活动"
            "发生的研发费用，符合规定条件的可适用研发费用税前加计扣除政策。"
        ),
        "chain_services": ["design", "testing"],
    },
    {
        "slug": "cq-seed-interest-free-credit",
        "kind": "loan",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "Seed fund: public-interest equity and interest-free credit loans for startups under 3 years",
        "title_zh": "种子基金公益参股与免息信用贷款（成立不超过3年）",
        "summary_en": (
            "Makerspace seed funds set up with the municipal seed investment guidance fund "
            "support startup teams settled in Chongqing and seed-stage innovative small and "
            "micro enterprises founded no more than 3 years ago, through public-interest equity "
            "stakes and interest-free credit loans."
        ),
        "summary_zh": (
            "鼓励市创业种子投资引导基金建立品牌众创空间专属种子基金，以公益参股、免息信用贷款等方式支持落户重庆的"
            "创业团队和成立不超过3年种子期创新型小微企业。"
        ),
        "full_text_en": (
            "The municipal startup seed investment guidance fund is encouraged to set up, with "
            "district governments, science park committees, universities and institutes, seed "
            "funds dedicated to brand makerspaces, supporting startup teams settled in "
            "Chongqing and seed-stage innovative small and micro enterprises founded no more "
            "than 3 years ago through public-interest equity and interest-free credit loans."
        ),
        "full_text_zh": (
            "鼓励市创业种子投资引导基金与各区县人民政府、科技园区管委会和高等学校、科研院所建立品牌众创空间专属"
            "种子基金，以公益参股、免息信用贷款等方式支持落户重庆的创业团队和成立不超过3年种子期创新型小微企业。"
        ),
        "max_company_age_years": 3,
        "locations": CHONGQING_PLACES,
        "stages": ["idea", "prototype"],
    },
    {
        "slug": "cq-innovation-voucher",
        "kind": "voucher",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "Innovation vouchers for shared science and technology resources",
        "title_zh": "科技资源共享服务创新券",
        "summary_en": (
            "Technology companies incubated by a makerspace receive innovation vouchers that pay "
            "for shared instruments, testing and other science and technology resources."
        ),
        "summary_zh": "对众创空间孵化服务的科技型企业给予科技资源共享服务创新券支持，用于共享仪器设备、检验检测等科技资源。",
        "full_text_en": (
            "The municipal science and technology authority evaluates makerspaces annually and "
            "rewards the best; makerspaces that are legal persons and the technology enterprises "
            "they incubate receive support for high-tech enterprise cultivation and innovation "
            "vouchers for shared science and technology resource services."
        ),
        "full_text_zh": (
            "市科技行政主管部门对众创空间采取“年度评估、择优奖励”的方式，对具备实验、检测、小试、中试等功能的"
            "众创空间，择优给予运营绩效奖励。对企业法人的众创空间和众创空间孵化服务的科技型企业给予高新技术企业"
            "培育和科技资源共享服务创新劵支持。"
        ),
        "requires_makerspace": True,
        "chain_services": ["testing", "prototyping", "pilot_production", "design"],
    },
    {
        "slug": "sc-researcher-keeps-position",
        "kind": "talent",
        "issuer": STATE_COUNCIL,
        "document_number": STATE_COUNCIL_DOC,
        "title_en": "Researchers founding in a makerspace keep their position for 3 years",
        "title_zh": "科研人员到众创空间创业3年内保留人事关系",
        "summary_en": (
            "Researchers of universities and institutes who bring projects and results to a "
            "makerspace may, with their employer's consent, keep their personnel relationship "
            "for 3 years, with equal rights to title evaluation, promotion and social security."
        ),
        "summary_zh": (
            "对本单位科研人员带项目和成果到众创空间创新创业的，经原单位同意，可在3年内保留人事关系，与原单位其他"
            "在岗人员同等享有参加职称评聘、岗位等级晋升和社会保障等方面的权利。"
        ),
        "full_text_en": (
            "Universities and research institutes shall implement the rights of use, disposal "
            "and income of scientific results under the Law on Promoting the Transformation of "
            "Scientific and Technological Achievements. Researchers who bring projects and "
            "results to a makerspace to start a business may, with the consent of their "
            "employer, keep their personnel relationship for up to 3 years and enjoy the same "
            "rights as serving staff in title evaluation, grade promotion and social security."
        ),
        "full_text_zh": (
            "高校、科研院所要按照《中华人民共和国促进科技成果转化法》有关规定，落实科技成果使用权、处置权和收益权"
            "政策。对本单位科研人员带项目和成果到众创空间创新创业的，经原单位同意，可在3年内保留人事关系，与原单位"
            "其他在岗人员同等享有参加职称评聘、岗位等级晋升和社会保障等方面的权利。"
        ),
        "founder_backgrounds": ["researcher_on_leave"],
    },
    {
        "slug": "sc-international-talent",
        "kind": "talent",
        "issuer": STATE_COUNCIL,
        "document_number": STATE_COUNCIL_DOC,
        "title_en": "Residence and work-permit facilitation for returnees, foreign and HK/Macao/Taiwan talent",
        "title_zh": "港澳台科技人员、海归人才和外国人才来众创空间创业便利",
        "summary_en": (
            "Hong Kong, Macao and Taiwan researchers, returnees and foreign talent who start up "
            "in a makerspace get facilitation for housing, work permits and residence."
        ),
        "summary_zh": "大力吸引和支持港澳台科技人员以及海归人才、外国人才到众创空间创新创业，在居住、工作许可、居留等方面提供便利条件。",
        "full_text_en": (
            "Strongly attract and support Hong Kong, Macao and Taiwan scientists, returnees and "
            "foreign talent to innovate and start businesses in makerspaces, providing "
            "convenience in residence, work permits and stay."
        ),
        "full_text_zh": (
            "大力吸引和支持港澳台科技人员以及海归人才、外国人才到众创空间创新创业，在居住、工作许可、居留等方面"
            "提供便利条件。"
        ),
        "founder_backgrounds": ["returnee", "foreign_talent", "hk_macao_taiwan"],
    },
    {
        "slug": "sc-equity-debt-financing",
        "kind": "equity",
        "issuer": STATE_COUNCIL,
        "document_number": STATE_COUNCIL_DOC,
        "title_en": "Equity-plus-debt financing and investment-loan linkage for makerspace companies",
        "title_zh": "众创空间内企业股权和债权相结合融资服务（投贷联动）",
        "summary_en": (
            "Selected banks in pilot areas offer companies in makerspaces financing that "
            "combines equity and debt, linked with venture and equity investors."
        ),
        "summary_zh": "选择符合条件的银行业金融机构，在试点地区探索为众创空间内企业创新活动提供股权和债权相结合的融资服务，与创业投资、股权投资机构试点投贷联动。",
        "full_text_en": (
            "Guide and encourage angel and venture investment to combine with makerspaces. "
            "Select qualified banks to explore, in pilot areas, financing services combining "
            "equity and debt for the innovation of companies in makerspaces, piloting "
            "investment-loan linkage with venture and equity investors. Support technology "
            "startups in makerspaces raising funds on the capital markets."
        ),
        "full_text_zh": (
            "引导和鼓励各类天使投资、创业投资等与众创空间相结合，完善投融资模式。选择符合条件的银行业金融机构，"
            "在试点地区探索为众创空间内企业创新活动提供股权和债权相结合的融资服务，与创业投资、股权投资机构试点投贷"
            "联动。支持众创空间内科技创业企业通过资本市场进行融资。"
        ),
        "requires_makerspace": True,
    },
    {
        "slug": "cq-listing-growth-voucher",
        "kind": "award",
        "issuer": CHONGQING,
        "document_number": CHONGQING_DOC,
        "title_en": "Listing-growth innovation vouchers for companies listed on the NEEQ or Chongqing OTC",
        "title_zh": "新三板挂牌及重庆股份转让中心科技创新板挂牌成长创新券奖励",
        "summary_en": (
            "Makerspace companies listed on the National Equities Exchange and Quotations or on "
            "the science and technology board of the Chongqing Equity Exchange Center are "
            "rewarded with listing-growth innovation vouchers."
        ),
        "summary_zh": "对在新三板上市或在重庆股份转让中心科技创新板挂牌的，市科技行政主管部门以科技型企业挂牌成长创新劵给予奖励。",
        "full_text_en": (
            "Actively promote qualified makerspaces raising funds on the main board, SME board, "
            "ChiNext, the NEEQ and the Chongqing Equity Exchange Center (OTC). Those listed on "
            "the NEEQ or the science and technology board of the Chongqing OTC are rewarded by "
            "the municipal science and technology authority with listing-growth innovation "
            "vouchers for technology enterprises."
        ),
        "full_text_zh": (
            "积极推动符合条件的众创空间利用主板、中小企业板、创业板、新三板、重庆股份转让中心（OTC）等资本市场"
            "融资。对在新三板上市或在重庆股份转让中心科技创新板挂牌的众创空间，市科技行政主管部门以科技型企业挂牌"
            "成长创新劵给予奖励。"
        ),
        "stages": ["market"],
        "locations": CHONGQING_PLACES,
        "chain_services": ["promotion"],
    },
)


def apply_seed_policies(session: Session, *, publish: bool = True) -> list[Policy]:
    """Add or update the seed policies in the caller's transaction (no commit)."""
    existing = {
        p.slug: p
        for p in session.scalars(
            sa.select(Policy).where(Policy.slug.in_([s["slug"] for s in SEED_POLICIES]))
        )
    }
    out = []
    for spec in SEED_POLICIES:
        values = dict(spec)
        issuer_en, issuer_zh = values.pop("issuer")
        values.update(issuer_en=issuer_en, issuer_zh=issuer_zh)
        policy = existing.get(values["slug"])
        if policy is None:
            policy = Policy(**values)
            session.add(policy)
        else:
            for key, value in values.items():
                setattr(policy, key, value)
        if publish and not policy.is_published:
            policy.is_published = True
            policy.published_at = utcnow()
        out.append(policy)
    return out


def seed_policies(session: Session, *, publish: bool = True) -> int:
    """Create or update the seed policies (keyed by slug); returns how many there are.

    A use case of its own: commits once. Needs no migration and no app (the CLI and the demo
    call it).
    """
    policies = apply_seed_policies(session, publish=publish)
    commit(session)
    return len(policies)

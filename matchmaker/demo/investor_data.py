# ruff: noqa: E501  (prose data: a sentence is kept on one line so it can be read and edited)
"""The twenty demo investors, written out by hand: funds and institutions are few and each has
its own voice (a guidance fund's co-investment rules, a bank's loan products), so composing them
from phrase banks would look fake. Amounts are in CNY unless ``currency`` says otherwise.

Every vocab.INVESTOR_TYPES code appears; ``lang`` says which language the profile is written in;
``person`` (name, e-mail local part) is the individual behind an angel's profile.
"""

from __future__ import annotations

from typing import Any

WAN = 10_000  # 万
YI = 100_000_000  # 亿

INVESTORS: tuple[dict[str, Any], ...] = (
    # --- angels (individuals, through their family office or own name)
    {
        "name": "冉志刚（个人天使）",
        "type": "angel",
        "lang": "zh",
        "person": ("冉志刚", "ran.zhigang"),
        "thesis": "连续创业者，早年创办汽摩零部件企业并成功出售。偏好有硬科技背景、愿意扎根制造业的团队，"
        "除资金外可以帮助对接主机厂供应链。",
        "sectors": ["advanced_manufacturing", "high_end_equipment", "new_materials"],
        "stages": ["seed", "angel"],
        "ticket": (50 * WAN, 200 * WAN),
        "instruments": ["equity", "convertible"],
        "regions": ["重庆"],
        "location": "重庆渝北区",
    },
    {
        "name": "谭雅文（个人天使）",
        "type": "angel",
        "lang": "zh",
        "person": ("谭雅文", "tan.yawen"),
        "thesis": "前三甲医院心内科主任，关注医疗器械、数字医疗和大健康消费，重视临床价值和注册路径。",
        "sectors": ["medicine_health", "big_health", "biotechnology"],
        "stages": ["seed", "angel"],
        "ticket": (50 * WAN, 150 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆", "成都"],
        "location": "重庆渝中区",
    },
    {
        "name": "Marcus Lindqvist (angel)",
        "type": "angel",
        "lang": "en",
        "person": ("Marcus Lindqvist", "marcus.lindqvist"),
        "thesis": "Former hardware executive at a Nordic telecom company. Backs international founders "
        "building in western China, especially sensors, IoT and cleantech.",
        "sectors": ["electronic_information", "energy_saving_environment", "internet"],
        "stages": ["seed", "angel", "pre_a"],
        "ticket": (70 * WAN, 300 * WAN),
        "instruments": ["equity", "convertible"],
        "regions": ["Chongqing", "Chengdu"],
        "location": "Chongqing",
        "website": "https://lindqvist-angel.example.com",
    },
    {
        "name": "山城天使汇",
        "type": "angel",
        "lang": "zh",
        "thesis": "由三十余位本地企业家组成的天使投资人社群，每月一次路演，领投人负责尽调，跟投人按份额出资。",
        "sectors": ["internet", "cultural_creative", "modern_services", "modern_agriculture"],
        "stages": ["seed", "angel"],
        "ticket": (50 * WAN, 300 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆"],
        "location": "重庆两江新区",
    },
    # --- seed funds
    {
        "name": "两江众创种子基金",
        "type": "seed_fund",
        "lang": "zh",
        "thesis": "众创空间自有种子基金，面向入驻不满三年的在孵企业，投早投小，提供无息信用借款和小额股权投资。",
        "sectors": [
            "electronic_information",
            "new_materials",
            "advanced_manufacturing",
            "internet",
            "biotechnology",
        ],
        "stages": ["none", "seed"],
        "ticket": (10 * WAN, 50 * WAN),
        "instruments": ["equity", "debt"],
        "regions": ["重庆两江新区"],
        "location": "重庆两江新区",
        "loan_products": "种子期无息信用借款：在孵不满三年的科技型企业，最高30万元，期限2年，无需抵押担保。",
    },
    {
        "name": "西部高校成果转化种子基金",
        "type": "seed_fund",
        "lang": "zh",
        "thesis": "与重庆大学、西南大学等高校合作设立，专投科研人员离岗创业和职务科技成果转化项目。",
        "sectors": ["new_materials", "biotechnology", "new_energy", "medicine_health"],
        "stages": ["none", "seed", "angel"],
        "ticket": (50 * WAN, 300 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆", "四川"],
        "location": "重庆沙坪坝区大学城",
    },
    {
        "name": "Yangtze Launchpad Seed Fund",
        "type": "seed_fund",
        "lang": "en",
        "thesis": "Pre-seed and seed cheques for international and returnee founders who set up in "
        "Chongqing. We invest alongside the makerspace's acceleration programme.",
        "sectors": ["internet", "electronic_information", "big_health", "modern_services"],
        "stages": ["seed", "angel"],
        "ticket": (30 * WAN, 200 * WAN),
        "instruments": ["equity", "convertible"],
        "regions": ["Chongqing", "Chengdu", "Xi'an"],
        "location": "Chongqing",
        "website": "https://yangtzelaunchpad.example.com",
    },
    # --- venture capital
    {
        "name": "嘉陵创新创业投资基金",
        "type": "vc",
        "lang": "zh",
        "thesis": "专注成渝地区硬科技早期投资，重点布局新能源、新材料和高端装备，单个项目可持续跟投至B轮。",
        "sectors": ["new_energy", "new_materials", "high_end_equipment", "advanced_manufacturing"],
        "stages": ["angel", "pre_a", "a"],
        "ticket": (1000 * WAN, 5000 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆", "成都"],
        "location": "重庆江北嘴",
        "website": "https://jialing-vc.example.com",
    },
    {
        "name": "蓉渝医疗健康创投",
        "type": "vc",
        "lang": "zh",
        "thesis": "聚焦创新医疗器械、体外诊断和生物技术平台型企业，团队有临床和注册背景，可协助产品注册和进院。",
        "sectors": ["medicine_health", "biotechnology", "big_health"],
        "stages": ["pre_a", "a", "b_plus"],
        "ticket": (1500 * WAN, 8000 * WAN),
        "instruments": ["equity"],
        "regions": ["成都", "重庆"],
        "location": "成都高新区",
    },
    {
        "name": "Silk Road Ventures",
        "type": "vc",
        "lang": "en",
        "thesis": "Cross-border VC investing in software and deep tech that connect western China with "
        "Central Asia and Europe. We lead Series A rounds and take a board seat.",
        "sectors": ["internet", "electronic_information", "modern_services"],
        "stages": ["pre_a", "a"],
        "ticket": (1000 * WAN, 4000 * WAN),
        "instruments": ["equity"],
        "regions": ["Xi'an", "Chongqing", "Almaty"],
        "location": "Xi'an",
        "website": "https://silkroad-ventures.example.com",
    },
    {
        "name": "峡光资本",
        "type": "vc",
        "lang": "zh",
        "thesis": "关注数字经济与产业互联网，偏好有清晰付费客户的SaaS和平台型项目。",
        "sectors": ["internet", "modern_services", "cultural_creative", "electronic_information"],
        "stages": ["angel", "pre_a", "a"],
        "ticket": (1000 * WAN, 3000 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆", "成都", "西安"],
        "location": "重庆渝北区",
    },
    # --- private equity
    {
        "name": "长江产业升级私募股权基金",
        "type": "pe",
        "lang": "zh",
        "thesis": "投资已实现规模化销售的先进制造和节能环保企业，支持并购整合和上市前规范。",
        "sectors": [
            "advanced_manufacturing",
            "energy_saving_environment",
            "new_energy",
            "high_end_equipment",
        ],
        "stages": ["a", "b_plus"],
        "ticket": (5000 * WAN, 3 * YI),
        "instruments": ["equity", "equity_debt"],
        "regions": ["长江经济带"],
        "location": "重庆江北嘴",
    },
    {
        "name": "Westbridge Growth Partners",
        "type": "pe",
        "lang": "en",
        "thesis": "Growth equity for profitable companies in healthcare services and consumer health "
        "that are ready to expand nationally.",
        "sectors": ["big_health", "medicine_health", "modern_services"],
        "stages": ["b_plus"],
        "ticket": (8000 * WAN, 5 * YI),
        "currency": "CNY",
        "instruments": ["equity"],
        "regions": ["China"],
        "location": "Hong Kong",
        "website": "https://westbridge-growth.example.com",
    },
    # --- corporate venture capital
    {
        "name": "渝汽产业创新投资",
        "type": "corporate_vc",
        "lang": "zh",
        "thesis": "汽车集团旗下的产业投资平台，围绕智能网联、电动化和轻量化布局，可提供整车验证和采购订单。",
        "sectors": ["high_end_equipment", "new_energy", "electronic_information", "new_materials"],
        "stages": ["angel", "pre_a", "a"],
        "ticket": (800 * WAN, 5000 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆"],
        "location": "重庆两江新区",
    },
    {
        "name": "巴渝农业产业投资",
        "type": "corporate_vc",
        "lang": "zh",
        "thesis": "农业龙头企业的投资部门，关注丘陵山地农机、农产品加工和冷链，可开放自有基地做示范。",
        "sectors": ["modern_agriculture", "biotechnology", "energy_saving_environment"],
        "stages": ["seed", "angel", "pre_a"],
        "ticket": (200 * WAN, 1000 * WAN),
        "instruments": ["equity"],
        "regions": ["重庆", "贵州"],
        "location": "重庆涪陵区",
    },
    # --- government guidance funds
    {
        "name": "重庆市科技创业种子投资引导基金",
        "type": "government_guidance_fund",
        "lang": "zh",
        "thesis": "市级财政出资设立，通过阶段参股和跟进投资，引导社会资本投向种子期、初创期科技型企业；"
        "对种子期项目给予5万至50万元创业资助，并与合作银行开展投贷联动。",
        "sectors": [
            "electronic_information",
            "biotechnology",
            "new_materials",
            "new_energy",
            "high_end_equipment",
            "medicine_health",
            "advanced_manufacturing",
        ],
        "stages": ["seed", "angel", "pre_a"],
        "ticket": (5 * WAN, 1000 * WAN),
        "instruments": ["equity", "grant", "investment_loan"],
        "regions": ["重庆"],
        "location": "重庆渝北区",
        "co_investment_requirements": "跟进投资须有经备案的社会资本领投，引导基金出资不超过本轮融资额的30%，"
        "且不成为第一大股东；被投企业注册地须在重庆，成立不超过5年；"
        "引导基金股权可在3年内按原始出资加同期存款利息转让给社会出资人。",
    },
    {
        "name": "两江新区产业引导基金",
        "type": "government_guidance_fund",
        "lang": "zh",
        "thesis": "围绕两江新区主导产业（汽车、电子信息、生物医药）设立子基金，并对落户新区的项目直接投资；"
        "与新区合作银行投贷联动，对直投项目配套信用贷款。",
        "sectors": [
            "electronic_information",
            "medicine_health",
            "high_end_equipment",
            "new_energy",
        ],
        "stages": ["pre_a", "a", "b_plus"],
        "ticket": (2000 * WAN, 1 * YI),
        "instruments": ["equity", "equity_debt", "investment_loan"],
        "regions": ["重庆两江新区"],
        "location": "重庆两江新区",
        "co_investment_requirements": "子基金返投两江新区比例不低于引导基金出资额的1.5倍；直投项目须与"
        "市场化机构按不低于1:1比例共同投资，投后三年内在新区实缴注册。",
    },
    # --- banks
    {
        "name": "重庆农村商业银行·科技支行",
        "type": "bank",
        "lang": "zh",
        "thesis": "为众创空间在孵企业提供创业担保贷款、知识产权质押贷款和投贷联动服务。",
        "sectors": [],
        "stages": ["none", "seed", "angel", "pre_a"],
        "ticket": (10 * WAN, 1000 * WAN),
        "instruments": ["debt", "convertible", "investment_loan"],
        "regions": ["重庆"],
        "location": "重庆渝中区",
        "loan_products": "创业担保贷款：个人最高15万元、小微企业最高300万元，财政贴息，免抵押；\n"
        "知识产权质押贷款：以发明专利、商标质押，最高1000万元，期限1-3年；\n"
        "认股选择权贷款：贷款附认股权，可在下一轮融资时按约定转为股权；\n"
        "投贷联动：已获备案创投机构投资的企业，按股权融资额的1:1给予信用贷款。",
    },
    {
        "name": "Chongqing Tech Finance Bank (International Desk)",
        "type": "bank",
        "lang": "en",
        "thesis": "Banking for foreign-invested and returnee-founded startups: accounts, cross-border "
        "payments and credit lines for young technology companies.",
        "sectors": [],
        "stages": ["seed", "angel", "pre_a", "a"],
        "ticket": (50 * WAN, 500 * WAN),
        "instruments": ["debt", "convertible", "investment_loan"],
        "regions": ["Chongqing"],
        "location": "Chongqing",
        "loan_products": "Science-and-technology credit loan: up to CNY 5 million for companies with "
        "high-tech status, no collateral required.\nVenture-debt facility alongside "
        "an equity round led by a registered VC (investment-loan linkage, 投贷联动): up to 30% "
        "of the round.\nConvertible loan: converts into equity at the next priced round.",
    },
    # --- crowdfunding
    {
        "name": "众筹巴渝",
        "type": "crowdfunding",
        "lang": "zh",
        "thesis": "经备案的互联网众筹试点平台，支持文创、消费硬件的产品众筹和合格投资人股权众筹。",
        "sectors": ["cultural_creative", "modern_agriculture", "big_health", "internet"],
        "stages": ["none", "seed", "angel"],
        "ticket": (5 * WAN, 100 * WAN),
        "instruments": ["crowdfunding", "equity"],
        "regions": ["全国"],
        "location": "重庆渝北区",
        "website": "https://zhongchou-bayu.example.com",
    },
)

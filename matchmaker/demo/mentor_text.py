# ruff: noqa: E501  (prose data: a sentence is kept on one line so it can be read and edited)
"""Phrase banks for mentor profiles (创业导师), per vocab.MENTOR_KINDS, in Chinese and English.

``{sector}`` is replaced by the label of one of the mentor's sectors. ``topics`` are the
vocab.MENTORING_TOPICS a kind usually covers; the generator takes two or three of them.
"""

from __future__ import annotations

MENTOR_KIND_TEXT: dict[str, dict[str, tuple[str, ...]]] = {
    "entrepreneur": {
        "topics": ("strategy", "operations", "hiring", "fundraising", "product"),
        "headline_zh": (
            "{sector}领域连续创业者，企业已在新三板挂牌",
            "从车间主任到年营收五亿的{sector}企业创始人",
            "{sector}行业老兵，两次创业一次成功退出",
        ),
        "headline_en": (
            "Serial founder in {sector}, one exit to a listed company",
            "Grew a company in {sector} from a garage to 300 employees",
        ),
        "expertise_zh": (
            "擅长从0到1搭建团队和供应链，帮助硬件团队少走量产弯路。",
            "熟悉大客户销售和渠道建设，可以介绍主机厂和上市公司采购负责人。",
            "经历过融资失败和裁员，愿意分享公司最困难时期的决策经验。",
            "关注股权结构设计和合伙人关系，辅导过二十多个早期团队。",
        ),
        "expertise_en": (
            "Helps hardware teams go from prototype to the first thousand units without burning out.",
            "Knows how to sell to large Chinese manufacturers and how long it really takes.",
            "Happy to talk about co-founder conflicts, layoffs and the decisions nobody teaches.",
        ),
        "organisations_zh": (
            "重庆锐度精密机械有限公司",
            "嘉禾智能装备股份有限公司",
            "碳锦科技集团",
            "砺锋汽车零部件有限公司",
        ),
        "organisations_en": ("Former CEO, Northfold Instruments", "Founder, Greyhaven Robotics"),
    },
    "investor": {
        "topics": ("fundraising", "finance", "strategy"),
        "headline_zh": (
            "{sector}方向投资合伙人，主导投资二十余个早期项目",
            "专注{sector}早期投资的投资总监",
            "管理多支天使基金，关注{sector}和硬科技",
        ),
        "headline_en": (
            "Partner investing in early-stage {sector}",
            "Venture investor focused on {sector} in western China",
        ),
        "expertise_zh": (
            "可以帮助梳理商业计划书和融资节奏，模拟投委会提问。",
            "熟悉估值方法、投资条款和对赌协议，提示常见的条款陷阱。",
            "了解政府引导基金和银行投贷联动的申报要求。",
        ),
        "expertise_en": (
            "Reviews pitch decks and financial models, and runs mock investment-committee sessions.",
            "Explains term sheets, valuation and how Chinese RMB funds differ from USD funds.",
        ),
        "organisations_zh": (),
        "organisations_en": (),
    },
    "technical_expert": {
        "topics": ("technology", "product", "operations"),
        "headline_zh": (
            "{sector}方向教授、博士生导师",
            "研究院{sector}研究室主任，正高级工程师",
            "{sector}领域资深工程师，曾主持国家重点研发计划课题",
        ),
        "headline_en": (
            "Professor and lab head in {sector}",
            "Principal engineer with twenty years in {sector}",
        ),
        "expertise_zh": (
            "长期从事产学研合作，了解科研成果转化中的专利和作价入股问题。",
            "擅长产品可靠性设计和失效分析，熟悉车规和工业级认证流程。",
            "指导过多个团队从实验室样品走到中试，清楚放大过程中最容易踩的坑。",
        ),
        "expertise_en": (
            "Reviews system architecture, test plans and scale-up risks before money is spent.",
            "Has taken several lab results to pilot production and knows where scale-up goes wrong.",
        ),
        "organisations_zh": (
            "重庆大学",
            "西南大学",
            "中国科学院重庆绿色智能技术研究院",
            "重庆邮电大学",
            "电子科技大学",
            "西安交通大学",
        ),
        "organisations_en": (
            "Chongqing University (visiting professor)",
            "Sino-German Applied Sciences Institute",
        ),
    },
    "lawyer": {
        "topics": ("legal_ip", "finance", "hiring"),
        "headline_zh": (
            "律师事务所合伙人，专注科技企业投融资与知识产权",
            "专利代理师、执业律师，服务过百余家科技型中小企业",
        ),
        "headline_en": (
            "Lawyer advising foreign founders on setting up in China",
            "IP counsel for {sector} startups",
        ),
        "expertise_zh": (
            "负责股权架构、期权池和融资协议审阅，熟悉外资准入和VIE结构。",
            "擅长专利挖掘与布局、商标和著作权保护，处理过多起专利侵权纠纷。",
            "熟悉劳动用工合规和科研人员离岗创业的人事关系问题。",
        ),
        "expertise_en": (
            "WFOE set-up, employment contracts for foreign staff and IP assignment from universities.",
            "Patent strategy and freedom-to-operate reviews before a product launch.",
        ),
        "organisations_zh": ("渝信律师事务所", "两江知识产权代理有限公司", "巴渝律师事务所"),
        "organisations_en": ("Lindenberg & Co. Legal (Chongqing office)",),
    },
    "business_planner": {
        "topics": ("marketing", "strategy", "product"),
        "headline_zh": (
            "品牌与营销策划人，操盘过多个{sector}品牌从零到一",
            "前快消企业市场总监，擅长渠道与商业模式设计",
        ),
        "headline_en": (
            "Go-to-market strategist for {sector} companies",
            "Former marketing director at a consumer brand",
        ),
        "expertise_zh": (
            "帮助团队找准目标客户、定价和获客渠道，打磨一页纸商业模式。",
            "擅长新媒体营销和私域运营，熟悉小红书、抖音的投放逻辑。",
            "熟悉政府采购和大客户招投标流程。",
        ),
        "expertise_en": (
            "Positioning, pricing and the first sales channel, tested cheaply before scaling.",
            "Helps foreign products adapt their story to Chinese buyers and platforms.",
        ),
        "organisations_zh": ("合纵品牌策划工作室", "知行商业咨询有限公司"),
        "organisations_en": ("Mosaic Go-to-Market Advisory",),
    },
    "trainer": {
        "topics": ("product", "marketing", "hiring", "policy"),
        "headline_zh": (
            "国家级创业培训讲师（SYB/IYB），主讲精益创业课程",
            "高校创新创业学院讲师，指导学生团队获国赛金奖",
        ),
        "headline_en": (
            "Lean startup trainer and workshop facilitator",
            "Startup-programme coach for international founders",
        ),
        "expertise_zh": (
            "带领团队做客户访谈和最小可行产品验证，避免闭门造车。",
            "辅导“互联网+”、创青春等创业大赛的路演和答辩。",
            "讲授创业团队管理、沟通和时间管理。",
        ),
        "expertise_en": (
            "Runs customer-discovery sprints and pitch training in English and Chinese.",
            "Coaches founders preparing for accelerator demo days.",
        ),
        "organisations_zh": ("重庆市创业指导中心", "重庆大学创新创业学院", "重庆工商大学"),
        "organisations_en": ("Yangtze International Maker Hub",),
    },
    "consultant": {
        "topics": ("policy", "finance", "operations", "strategy"),
        "headline_zh": (
            "科技项目申报与政策咨询顾问，熟悉高企认定和研发费用加计扣除",
            "管理咨询顾问，专注中小企业财务和运营",
        ),
        "headline_en": (
            "Startup consultant on Chinese subsidies and company set-up",
            "Operations consultant for {sector} scale-ups",
        ),
        "expertise_zh": (
            "帮助企业梳理可申报的政策：创业补贴、创新券、科技型企业知识价值信用贷款等。",
            "擅长财务模型、预算和成本控制，帮助企业建立规范的财务制度。",
            "熟悉ISO质量体系和生产管理，辅导企业通过体系认证。",
        ),
        "expertise_en": (
            "Explains which subsidies, innovation vouchers and talent programmes a foreign founder can use.",
            "Sets up lean operations, budgeting and reporting for teams of ten to fifty.",
        ),
        "organisations_zh": ("聚源企业管理咨询有限公司", "重庆科技服务大市场"),
        "organisations_en": ("Meridian China Advisory",),
    },
}

# How many mentors of each kind (40 in all).
MENTOR_KIND_COUNTS: dict[str, int] = {
    "entrepreneur": 7,
    "investor": 6,
    "technical_expert": 8,
    "lawyer": 5,
    "business_planner": 4,
    "trainer": 5,
    "consultant": 5,
}

# Universities and institutes that founders come from (for the team sentence).
ORGS_ZH: tuple[str, ...] = (
    "重庆大学",
    "西南大学",
    "重庆邮电大学",
    "重庆医科大学",
    "中国科学院重庆绿色智能技术研究院",
    "重庆理工大学",
    "四川美术学院",
    "电子科技大学",
    "西安交通大学",
    "陆军军医大学",
)
ORGS_EN: tuple[str, ...] = (
    "Chongqing University",
    "Southwest University",
    "TU Munich",
    "the University of Manchester",
    "KAIST",
    "Sichuan University",
    "École Polytechnique",
)

# What a technical expert works on, by sector (the first line of their expertise).
SECTOR_EXPERTISE: dict[str, dict[str, str]] = {
    "zh": {
        "electronic_information": "长期从事嵌入式系统、射频与信号处理研究，能帮团队评审硬件架构和EMC设计。",
        "biotechnology": "研究方向为合成生物学和发酵工程，熟悉菌种构建、高通量筛选和发酵放大。",
        "modern_agriculture": "长期从事丘陵山地农业机械化和智慧农业研究，熟悉农机鉴定和补贴目录。",
        "high_end_equipment": "研究方向为机器人控制和装备故障诊断，主持过多项企业横向课题。",
        "new_energy": "从事电化学储能研究十余年，熟悉电芯设计、BMS和安全测试标准。",
        "new_materials": "熟悉材料表征（XRD、SEM、热分析）和工艺放大，可以帮助设计中试方案和检测计划。",
        "energy_saving_environment": "研究方向为工业废水处理和建筑节能，参与过多项环保标准编制。",
        "medicine_health": "从事医疗器械研发和临床转化，熟悉注册检验、临床试验和GMP体系。",
        "cultural_creative": "从事数字媒体和交互设计研究，熟悉实时渲染、游戏引擎和文旅项目策划。",
        "modern_services": "研究方向为技术转移和科技金融，熟悉科技成果评估和作价入股流程。",
        "advanced_manufacturing": "研究方向为增材制造和精密加工，熟悉模具设计、工艺优化和质量体系。",
        "internet": "从事分布式系统和人工智能应用研究，能帮团队评审技术架构和数据安全方案。",
        "big_health": "研究方向为康复工程和老年健康，熟悉可穿戴设备的临床验证。",
    },
    "en": {
        "electronic_information": "Works on embedded systems, RF and signal processing; reviews hardware architecture and EMC design.",
        "biotechnology": "Synthetic biology and fermentation: strain engineering, high-throughput screening, scale-up.",
        "modern_agriculture": "Researches mechanisation and sensing for hillside farming.",
        "high_end_equipment": "Robot control and machine fault diagnosis, with many industry projects.",
        "new_energy": "Fifteen years in electrochemical storage: cell design, BMS and safety testing standards.",
        "new_materials": "Characterisation (XRD, SEM, thermal analysis) and process scale-up for new materials.",
        "energy_saving_environment": "Industrial wastewater treatment and energy efficiency in buildings.",
        "medicine_health": "Medical-device development and clinical translation, registration testing and GMP.",
        "cultural_creative": "Digital media and interaction design: real-time rendering, game engines, immersive exhibits.",
        "modern_services": "Technology transfer and valuation of research results.",
        "advanced_manufacturing": "Additive manufacturing and precision machining, tooling design and process optimisation.",
        "internet": "Distributed systems and applied AI; reviews software architecture and data security.",
        "big_health": "Rehabilitation engineering and healthy ageing, clinical validation of wearables.",
    },
}

"""Bilingual building blocks for the synthetic city's names and listings.

Each field has technologies (zh, en), problems they solve and applications, so generated
achievements and demands read like real ones and Chinese and English versions say the same thing.
"""

from __future__ import annotations

# field -> list of (technology zh, technology en)
TECHNOLOGIES: dict[str, list[tuple[str, str]]] = {
    "marine_equipment": [
        ("深远海养殖工船智能投喂系统", "intelligent feeding system for deep-sea aquaculture vessels"),
        ("水下机器人自主导航控制", "autonomous navigation control for underwater robots"),
        ("海洋浮标多参数在线监测", "multi-parameter online monitoring buoy"),
        ("船舶废气脱硫装置", "exhaust-gas desulphurisation unit for ships"),
        ("海上风电安装平台升降系统", "jacking system for offshore wind installation platforms"),
        ("船用锂电池动力系统", "lithium-battery propulsion system for vessels"),
        ("海底管道内检测机器人", "in-line inspection robot for subsea pipelines"),
        ("船舶压载水处理装置", "ballast-water treatment unit"),
    ],
    "marine_bio": [
        ("海藻多糖提取纯化工艺", "extraction and purification of seaweed polysaccharides"),
        ("海洋微生物酶制剂", "enzyme preparations from marine microorganisms"),
        ("鱼胶原蛋白肽制备", "preparation of fish collagen peptides"),
        ("海洋来源抗菌肽", "antimicrobial peptides of marine origin"),
        ("海参皂苷分离纯化", "separation and purification of sea-cucumber saponins"),
        ("褐藻寡糖植物生长调节剂", "alginate-oligosaccharide plant growth regulator"),
        ("虾青素微藻培养", "astaxanthin production from microalgae"),
        ("壳聚糖医用敷料", "chitosan wound dressing"),
    ],
    "fisheries": [
        ("工厂化循环水养殖", "industrial recirculating aquaculture"),
        ("海参良种选育", "selective breeding of sea cucumbers"),
        ("鱼类疫病快速检测", "rapid detection of fish diseases"),
        ("对虾高密度养殖尾水处理", "tail-water treatment for high-density shrimp farming"),
        ("海洋牧场生态监测", "ecological monitoring of marine ranches"),
        ("贝类净化与冷链保鲜", "shellfish depuration and cold-chain preservation"),
        ("鱼类精准投喂", "precision feeding of farmed fish"),
        ("大黄鱼深水网箱养殖", "large yellow croaker farming in deep-water cages"),
    ],
    "desalination": [
        ("反渗透海水淡化膜", "reverse-osmosis membranes for seawater desalination"),
        ("低温多效蒸馏节能", "energy saving in low-temperature multi-effect distillation"),
        ("浓盐水资源化利用", "resource recovery from desalination brine"),
        ("能量回收装置", "pressure-exchanger energy recovery device"),
        ("海岛小型淡化装置", "compact desalination unit for islands"),
        ("工业废水零排放", "zero liquid discharge of industrial wastewater"),
        ("膜污染在线清洗", "online cleaning of membrane fouling"),
        ("电渗析苦咸水淡化", "electrodialysis of brackish water"),
    ],
    "smart_home": [
        ("家电语音交互模组", "voice interaction module for home appliances"),
        ("变频压缩机控制算法", "control algorithm for inverter compressors"),
        ("智能冰箱食材识别", "food recognition in smart refrigerators"),
        ("家电物联网安全网关", "IoT security gateway for home appliances"),
        ("洗衣机低噪声直驱电机", "low-noise direct-drive washing-machine motor"),
        ("空调无感舒适控制", "comfort control for air conditioners"),
        ("热泵热水器低温制热", "low-temperature heating for heat-pump water heaters"),
        ("厨电油烟识别联动", "cooking-fume sensing for kitchen appliances"),
    ],
    "rail_transit": [
        ("碳纤维地铁车体", "carbon-fibre metro car body"),
        ("高速列车转向架健康监测", "health monitoring of high-speed train bogies"),
        ("轨道交通永磁牵引系统", "permanent-magnet traction system for rail transit"),
        ("列车车门故障预测", "fault prediction for train doors"),
        ("轮轨噪声主动控制", "active control of wheel-rail noise"),
        ("地铁再生制动能量回馈", "regenerative-braking energy feedback for metros"),
        ("列车受电弓在线检测", "online pantograph inspection"),
        ("轨道线路巡检机器人", "track inspection robot"),
    ],
    "vr": [
        ("虚拟现实一体机光学模组", "optical module for standalone VR headsets"),
        ("Pancake折叠光路镜头", "pancake folded-optics lens"),
        ("眼动追踪注视点渲染", "eye-tracking foveated rendering"),
        ("虚拟现实声学模组", "acoustic module for VR devices"),
        ("Micro OLED显示驱动芯片", "Micro OLED display driver chip"),
        ("六自由度手柄定位", "six-degree-of-freedom controller tracking"),
        ("工业培训虚拟仿真", "virtual simulation for industrial training"),
        ("裸眼三维光场显示", "glasses-free light-field 3D display"),
    ],
    "ai": [
        ("工业视觉缺陷检测", "industrial machine-vision defect detection"),
        ("大模型知识问答平台", "large-language-model question answering platform"),
        ("港口集装箱智能调度", "intelligent container scheduling at ports"),
        ("多模态医学影像辅助诊断", "multimodal medical-image assisted diagnosis"),
        ("设备振动故障诊断", "vibration-based equipment fault diagnosis"),
        ("焊缝质量智能识别", "automatic weld-seam quality recognition"),
        ("仓储机器人路径规划", "path planning for warehouse robots"),
        ("电力负荷预测", "electric-load forecasting"),
    ],
    "synthetic_bio": [
        ("微生物细胞工厂构建", "construction of microbial cell factories"),
        ("酶定向进化筛选平台", "directed-evolution screening platform for enzymes"),
        ("生物基材料发酵生产", "fermentation production of bio-based materials"),
        ("聚乳酸单体高效发酵", "high-yield fermentation of lactic acid for PLA"),
        ("稀有人参皂苷生物合成", "biosynthesis of rare ginsenosides"),
        ("基因编辑菌株构建", "gene-edited strain construction"),
        ("无细胞蛋白合成体系", "cell-free protein synthesis system"),
        ("高通量液滴微流控筛选", "high-throughput droplet microfluidic screening"),
    ],
    "biomedicine": [
        ("海洋创新药物筛选", "screening of innovative marine drugs"),
        ("单克隆抗体表达纯化", "expression and purification of monoclonal antibodies"),
        ("体外诊断试剂盒", "in-vitro diagnostic reagent kit"),
        ("缓释微球制剂", "sustained-release microsphere formulation"),
        ("mRNA疫苗递送脂质体", "lipid nanoparticles for mRNA vaccine delivery"),
        ("可降解心血管支架", "biodegradable cardiovascular stent"),
        ("化学发光免疫分析仪", "chemiluminescence immunoassay analyser"),
        ("中药配方颗粒质量控制", "quality control of TCM dispensing granules"),
    ],
    "new_energy": [
        ("钙钛矿太阳能电池", "perovskite solar cells"),
        ("氢燃料电池电堆", "hydrogen fuel-cell stack"),
        ("储能电池热管理", "thermal management of energy-storage batteries"),
        ("海洋温差能发电", "ocean thermal energy conversion"),
        ("碱性电解水制氢", "alkaline water electrolysis for hydrogen"),
        ("光伏组件智能清洗", "automatic cleaning of photovoltaic modules"),
        ("钠离子电池正极材料", "cathode materials for sodium-ion batteries"),
        ("风电机组叶片健康监测", "health monitoring of wind-turbine blades"),
    ],
    "new_materials": [
        ("石墨烯导热膜", "graphene thermal-conductive film"),
        ("高性能碳纤维复合材料", "high-performance carbon-fibre composites"),
        ("海洋防腐涂层", "marine anti-corrosion coating"),
        ("液晶显示用光学膜", "optical film for liquid-crystal displays"),
        ("高强度耐蚀铝合金", "high-strength corrosion-resistant aluminium alloy"),
        ("可降解塑料改性", "modification of biodegradable plastics"),
        ("陶瓷基复合材料", "ceramic-matrix composites"),
        ("高导热绝缘封装材料", "high-thermal-conductivity insulating packaging material"),
    ],
    "chemicals": [
        ("高端聚烯烃催化剂", "catalyst for high-end polyolefins"),
        ("电子级化学品提纯", "purification of electronic-grade chemicals"),
        ("绿色溶剂替代工艺", "green solvent substitution process"),
        ("轮胎用高分散白炭黑", "highly dispersible silica for tyres"),
        ("水性工业涂料", "water-borne industrial coatings"),
        ("微通道连续流反应", "continuous-flow microchannel reaction"),
        ("橡胶助剂清洁生产", "clean production of rubber additives"),
        ("废塑料化学回收", "chemical recycling of waste plastics"),
    ],
    "ict": [
        ("工业互联网标识解析", "industrial-internet identifier resolution"),
        ("5G专网边缘计算", "edge computing on private 5G networks"),
        ("北斗高精度定位终端", "BeiDou high-precision positioning terminal"),
        ("数据中心液冷散热", "liquid cooling for data centres"),
        ("国产操作系统适配", "porting software to domestic operating systems"),
        ("工业控制系统安全防护", "security protection for industrial control systems"),
        ("低功耗物联网通信模组", "low-power IoT communication module"),
        ("数字孪生工厂建模", "digital-twin modelling of factories"),
    ],
    "green_tech": [
        ("工业余热回收利用", "industrial waste-heat recovery"),
        ("二氧化碳捕集与利用", "carbon-dioxide capture and utilisation"),
        ("污水处理节能曝气", "energy-saving aeration for wastewater treatment"),
        ("挥发性有机物催化燃烧", "catalytic combustion of volatile organic compounds"),
        ("固废资源化再生", "recycling of industrial solid waste"),
        ("污泥低温干化", "low-temperature sludge drying"),
        ("建筑光伏一体化", "building-integrated photovoltaics"),
        ("碳排放在线监测", "online monitoring of carbon emissions"),
    ],
    "tech_services": [
        ("科技成果评价服务", "evaluation services for sci-tech achievements"),
        ("知识产权运营平台", "intellectual-property operation platform"),
        ("检验检测认证服务", "testing, inspection and certification services"),
        ("中试熟化公共服务", "pilot-scale maturation services"),
        ("技术转移数字化平台", "digital technology-transfer platform"),
        ("科研仪器共享服务", "shared research-instrument services"),
        ("专利导航分析", "patent landscaping and navigation"),
        ("标准化技术咨询", "standardisation consulting"),
    ],
}

PROBLEMS: list[tuple[str, str]] = [
    ("依赖进口、成本高", "dependence on imports and high cost"),
    ("效率低、能耗高", "low efficiency and high energy use"),
    ("人工检测漏检率高", "high miss rate of manual inspection"),
    ("产品一致性差", "poor product consistency"),
    ("故障难以提前发现", "faults that go undetected until failure"),
    ("环境污染排放大", "heavy polluting emissions"),
]

ADVANTAGES: list[tuple[str, str]] = [
    ("性能指标达到国际先进水平", "performance at international advanced level"),
    ("成本降低约30%", "cost reduced by about 30 %"),
    ("拥有自主知识产权", "independent intellectual property"),
    ("已完成中试验证", "pilot-scale validation completed"),
    ("能耗降低20%以上", "energy consumption cut by more than 20 %"),
]

APPLICATIONS: list[tuple[str, str]] = [
    ("海洋装备制造企业", "marine equipment manufacturers"),
    ("家电整机企业", "home-appliance makers"),
    ("轨道交通运营单位", "rail-transit operators"),
    ("港口与航运企业", "ports and shipping companies"),
    ("医药与食品企业", "pharmaceutical and food companies"),
    ("新能源电站", "new-energy power plants"),
    ("电子信息制造企业", "electronics manufacturers"),
]

# Company-name building blocks (zh, pinyin for the English name).
NAME_STEMS: list[tuple[str, str]] = [
    ("海澜", "Hailan"), ("瑞泰", "Ruitai"), ("华创", "Huachuang"), ("德远", "Deyuan"),
    ("恒博", "Hengbo"), ("蓝海", "Lanhai"), ("青科", "Qingke"), ("鲁信", "Luxin"),
    ("崂源", "Laoyuan"), ("琴岛", "Qindao"), ("卓越", "Zhuoyue"), ("中汇", "Zhonghui"),
    ("新航", "Xinhang"), ("诚达", "Chengda"), ("远洋", "Yuanyang"), ("金桥", "Jinqiao"),
    ("启明", "Qiming"), ("宏图", "Hongtu"), ("腾跃", "Tengyue"), ("海芯", "Haixin"),
    ("鼎新", "Dingxin"), ("润泽", "Runze"), ("正阳", "Zhengyang"), ("汇智", "Huizhi"),
]

FIELD_WORDS: dict[str, tuple[str, str]] = {
    "marine_equipment": ("海洋装备", "Marine Equipment"),
    "marine_bio": ("海洋生物", "Marine Biotech"),
    "fisheries": ("海洋渔业", "Fisheries"),
    "desalination": ("水处理", "Water Technology"),
    "smart_home": ("智能家电", "Smart Appliances"),
    "rail_transit": ("轨道装备", "Rail Equipment"),
    "vr": ("虚拟现实", "Virtual Reality"),
    "ai": ("智能科技", "Intelligent Technology"),
    "synthetic_bio": ("合成生物", "Synthetic Biology"),
    "biomedicine": ("生物医药", "Biopharma"),
    "new_energy": ("新能源", "New Energy"),
    "new_materials": ("新材料", "New Materials"),
    "chemicals": ("化工", "Chemicals"),
    "ict": ("信息技术", "Information Technology"),
    "green_tech": ("环保科技", "Environmental Technology"),
    "tech_services": ("科技服务", "Technology Services"),
}

# GB/T 4754-2017 class typical of each field.
FIELD_INDUSTRY: dict[str, str] = {
    "marine_equipment": "3731", "marine_bio": "2761", "fisheries": "0411",
    "desalination": "4610", "smart_home": "3851", "rail_transit": "3711", "vr": "3969",
    "ai": "6513", "synthetic_bio": "2762", "biomedicine": "2710", "new_energy": "3825",
    "new_materials": "2651", "chemicals": "2614", "ict": "3912", "green_tech": "7723",
    "tech_services": "7520",
}

SURNAMES: list[tuple[str, str]] = [
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"),
    ("孙", "Sun"), ("徐", "Xu"), ("高", "Gao"), ("林", "Lin"), ("郭", "Guo"),
]
GIVEN_NAMES: list[tuple[str, str]] = [
    ("海涛", "Haitao"), ("志强", "Zhiqiang"), ("晓明", "Xiaoming"), ("丽娜", "Lina"),
    ("建国", "Jianguo"), ("思远", "Siyuan"), ("雨桐", "Yutong"), ("文博", "Wenbo"),
    ("佳怡", "Jiayi"), ("国栋", "Guodong"), ("明轩", "Mingxuan"), ("静", "Jing"),
]

# -- listing titles ---------------------------------------------------------------------------
# Qualifiers that fit every technology of their field (zh, en); "" leaves the title plain.
FIELD_QUALIFIERS: dict[str, list[tuple[str, str]]] = {
    "marine_equipment": [("", ""), ("深海型", "deep-sea"), ("高可靠", "high-reliability"),
                         ("国产化", "domestically built"), ("模块化", "modular"),
                         ("低功耗", "low-power")],
    "marine_bio": [("", ""), ("高纯度", "high-purity"), ("绿色", "green"),
                   ("酶法", "enzymatic"), ("低成本", "low-cost"), ("规模化", "large-scale")],
    "fisheries": [("", ""), ("智能化", "smart"), ("生态型", "ecological"),
                  ("节水型", "water-saving"), ("低成本", "low-cost"), ("标准化", "standardised")],
    "desalination": [("", ""), ("低能耗", "low-energy"), ("抗污染", "fouling-resistant"),
                     ("国产化", "domestically made"), ("模块化", "modular"),
                     ("高回收率", "high-recovery")],
    "smart_home": [("", ""), ("低功耗", "low-power"), ("低噪声", "low-noise"),
                   ("高能效", "high-efficiency"), ("多品类", "multi-category"),
                   ("国产芯片", "domestic-chip")],
    "rail_transit": [("", ""), ("轻量化", "lightweight"), ("高可靠", "high-reliability"),
                     ("国产化", "domestically built"), ("低噪声", "low-noise"),
                     ("全生命周期", "whole-life-cycle")],
    "vr": [("", ""), ("轻薄化", "slim"), ("低时延", "low-latency"), ("高分辨率", "high-resolution"),
           ("低功耗", "low-power"), ("国产化", "domestically made")],
    "ai": [("", ""), ("轻量化", "lightweight"), ("少样本", "few-shot"), ("可解释", "explainable"),
           ("云边协同", "cloud-edge"), ("实时", "real-time")],
    "synthetic_bio": [("", ""), ("高产", "high-yield"), ("绿色", "green"),
                      ("连续化", "continuous"), ("低成本", "low-cost"), ("规模化", "large-scale")],
    "biomedicine": [("", ""), ("高灵敏", "high-sensitivity"), ("长效", "long-acting"),
                    ("国产化", "domestically made"), ("低成本", "low-cost"),
                    ("快速", "rapid")],
    "new_energy": [("", ""), ("高效率", "high-efficiency"), ("长寿命", "long-life"),
                   ("低成本", "low-cost"), ("高安全", "high-safety"), ("大功率", "high-power")],
    "new_materials": [("", ""), ("高性能", "high-performance"), ("低成本", "low-cost"),
                      ("耐高温", "heat-resistant"), ("绿色", "green"), ("超薄", "ultra-thin")],
    "chemicals": [("", ""), ("高选择性", "high-selectivity"), ("绿色", "green"),
                  ("低能耗", "low-energy"), ("连续化", "continuous"), ("高纯", "high-purity")],
    "ict": [("", ""), ("低时延", "low-latency"), ("高安全", "high-security"),
            ("国产化", "domestically built"), ("轻量级", "lightweight"), ("高并发", "high-concurrency")],
    "green_tech": [("", ""), ("低能耗", "low-energy"), ("模块化", "modular"),
                   ("低成本", "low-cost"), ("高效", "high-efficiency"), ("智能化", "smart")],
    "tech_services": [("", ""), ("一站式", "one-stop"), ("数字化", "digital"),
                      ("全流程", "end-to-end"), ("专业化", "specialised"), ("线上", "online")],
}

# Achievement title forms: {qt} is the qualified technology (zh, or en in lower case), {QT} the
# same in English with a capital.
ACHIEVEMENT_FORMS: list[tuple[str, str]] = [
    ("{qt}技术", "{QT}"),
    ("{qt}关键技术及产业化", "{QT}: key technologies and industrialisation"),
    ("{qt}的研制与应用", "Development and application of {qt}"),
    ("{qt}工程化示范", "{QT}: engineering demonstration"),
    ("{qt}成套技术", "{QT}: complete technology package"),
    ("{qt}设计与验证", "Design and validation of {qt}"),
    ("{qt}中试成果", "{QT}: pilot-scale results"),
]

# Demand title forms: {t} technology, {p} the firm's product line.
DEMAND_FORMS: list[tuple[str, str]] = [
    ("寻求{t}技术合作", "Seeking a partner for {t}"),
    ("{t}技术攻关需求", "R&D need: {t}"),
    ("征集{t}解决方案", "Call for solutions: {t}"),
    ("{p}{t}升级改造", "Upgrading our {p} with {t}"),
    ("{p}{t}联合开发", "Joint development of {t} for our {p}"),
    ("{p}引进{t}", "Licensing in {t} for our {p}"),
    ("{p}{t}技术需求", "{T} wanted for our {p}"),
]

# What a firm in each field makes (zh, en), named in its demands.
PRODUCTS: dict[str, list[tuple[str, str]]] = {
    "marine_equipment": [("养殖工船", "aquaculture vessels"), ("海工平台", "offshore platforms"),
                         ("科考船", "research vessels"), ("港作拖轮", "harbour tugs")],
    "marine_bio": [("海藻制品", "seaweed products"), ("功能食品", "functional foods"),
                   ("海洋化妆品", "marine cosmetics"), ("生物肥料", "bio-fertilisers")],
    "fisheries": [("海参养殖", "sea-cucumber farms"), ("对虾工厂化养殖", "indoor shrimp farms"),
                  ("深水网箱", "deep-water cages"), ("水产品加工", "seafood processing")],
    "desalination": [("淡化水厂", "desalination plants"), ("工业园区供水", "industrial-park water supply"),
                     ("电厂循环水系统", "power-plant cooling water"), ("海岛供水", "island water supply")],
    "smart_home": [("冰箱", "refrigerators"), ("空调", "air conditioners"),
                   ("洗衣机", "washing machines"), ("厨房电器", "kitchen appliances")],
    "rail_transit": [("地铁车辆", "metro cars"), ("城际动车组", "intercity multiple units"),
                     ("车辆检修", "rolling-stock maintenance"), ("有轨电车", "trams")],
    "vr": [("VR头显", "VR headsets"), ("AR眼镜", "AR glasses"), ("VR内容平台", "VR content platforms"),
           ("实训一体机", "training simulators")],
    "ai": [("产品质检", "quality inspection"), ("智能客服", "customer service"),
           ("智慧园区", "smart campuses"), ("生产调度", "production scheduling")],
    "synthetic_bio": [("发酵生产", "fermentation"), ("氨基酸", "amino acids"),
                      ("生物基材料", "bio-based materials"), ("酶制剂", "enzyme products")],
    "biomedicine": [("仿制药", "generic drugs"), ("诊断试剂", "diagnostic reagents"),
                    ("医疗器械", "medical devices"), ("药物制剂", "drug formulations")],
    "new_energy": [("储能电站", "energy-storage stations"), ("光伏电站", "solar farms"),
                   ("风电场", "wind farms"), ("加氢站", "hydrogen refuelling stations")],
    "new_materials": [("复合材料构件", "composite parts"), ("工业涂料", "industrial coatings"),
                      ("铝型材", "aluminium extrusions"), ("功能膜", "functional films")],
    "chemicals": [("聚烯烃", "polyolefins"), ("轮胎", "tyres"),
                  ("精细化学品", "fine chemicals"), ("涂料", "paints")],
    "ict": [("园区网络", "campus networks"), ("数据中心", "data centres"),
            ("智能终端", "smart terminals"), ("政企云服务", "cloud services")],
    "green_tech": [("污水处理", "wastewater treatment"), ("热电联产", "combined heat and power"),
                   ("固废处置", "solid-waste disposal"), ("化工园区服务", "chemical-park services")],
    "tech_services": [("技术转移", "technology transfer"), ("检验检测", "testing"),
                      ("企业孵化", "incubation"), ("园区运营", "park operation")],
}

# A firm's problem (zh, en), as it would describe it.
NEEDS: list[tuple[str, str]] = [
    ("关键部件依赖进口，采购周期长、成本高", "key parts are imported, with long lead times and high cost"),
    ("现有工艺能耗高，单位产品能耗高于行业先进水平约{n}%",
     "the present process uses about {n} % more energy per unit than the best in the industry"),
    ("人工检测漏检率约{m}%，客户投诉增多", "manual inspection misses about {m} % of defects and "
     "complaints are rising"),
    ("产品一致性差，批次合格率仅{r}%", "consistency is poor: only {r} % of batches pass"),
    ("设备故障难以提前发现，年非计划停机超过{h}小时",
     "faults are not caught in time, with over {h} hours of unplanned downtime a year"),
    ("排放指标临近新标准限值，需在限期内完成改造",
     "emissions are close to the new standard's limit and must be cut before the deadline"),
    ("产能不足，高峰期订单交付延迟", "capacity is short and orders are late in peak season"),
    ("数据分散在多个系统中，难以支撑生产决策",
     "data sit in separate systems and do not support production decisions"),
]

REQUIREMENTS: list[tuple[str, str]] = [
    ("技术成熟度不低于中试水平，可在现有产线上改造实施",
     "be proven at least at pilot scale and fit into the existing line"),
    ("关键指标达到国内领先水平，并提供第三方检测报告",
     "reach leading domestic performance, with a third-party test report"),
    ("合作方提供现场技术支持和人员培训", "come with on-site support and staff training"),
    ("拥有自主知识产权，可签订独占许可", "be covered by the partner's own IP, available for an exclusive licence"),
    ("改造后投资回收期不超过{y}年", "pay back within {y} years"),
]

MILESTONES: list[tuple[str, str]] = [
    ("完成样机试制", "a working prototype"), ("完成中试验证", "pilot-scale validation"),
    ("实现批量应用", "volume deployment"), ("完成产线改造", "the line upgrade finished"),
]

ADVANTAGE_TEMPLATES: list[tuple[str, str]] = [
    ("核心指标达到国际先进水平", "key performance at international advanced level"),
    ("综合成本降低约{n}%", "overall cost about {n} % lower"),
    ("能耗降低{n}%以上", "energy use cut by more than {n} %"),
    ("已获授权发明专利{k}项", "{k} invention patents granted"),
    ("关键部件全部实现国产化", "all key parts made in China"),
    ("效率提升约{n}%", "efficiency up by about {n} %"),
]

# Where an achievement stands, by TRL band (zh, en).
STAGES: list[tuple[range, str, str]] = [
    (range(1, 5), "目前已完成实验室验证", "it has been validated in the laboratory"),
    (range(5, 7), "目前已完成中试", "it has completed pilot-scale trials"),
    (range(7, 10), "已在{k}家企业应用", "it is in use at {k} companies"),
]

TRANSFER_MODES: list[tuple[str, str]] = [
    ("技术转让", "outright transfer"), ("独占或普通许可", "exclusive or non-exclusive licence"),
    ("作价入股", "an equity stake"), ("合作开发", "joint development"),
]

MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]

# -- organisation names ------------------------------------------------------------------------
# Two-character brand names: first and second syllables (zh, pinyin); every pinyin is distinct
# within its list, so distinct Chinese names give distinct English ones.
STEM_FIRST: list[tuple[str, str]] = [
    ("海", "Hai"), ("瑞", "Rui"), ("华", "Hua"), ("德", "De"), ("恒", "Heng"), ("蓝", "Lan"),
    ("青", "Qing"), ("鲁", "Lu"), ("崂", "Lao"), ("琴", "Qin"), ("卓", "Zhuo"), ("中", "Zhong"),
    ("新", "Xin"), ("诚", "Cheng"), ("远", "Yuan"), ("金", "Jin"), ("启", "Qi"), ("宏", "Hong"),
    ("腾", "Teng"), ("鼎", "Ding"), ("润", "Run"), ("正", "Zheng"), ("汇", "Hui"), ("博", "Bo"),
    ("康", "Kang"), ("泰", "Tai"), ("安", "An"), ("盛", "Sheng"), ("万", "Wan"), ("东", "Dong"),
    ("嘉", "Jia"), ("合", "He"), ("天", "Tian"), ("丰", "Feng"), ("明", "Ming"), ("力", "Li"),
]
STEM_SECOND: list[tuple[str, str]] = [
    ("源", "yuan"), ("达", "da"), ("昌", "chang"), ("通", "tong"), ("科", "ke"), ("创", "chuang"),
    ("航", "hang"), ("成", "cheng"), ("宇", "yu"), ("祥", "xiang"), ("兴", "xing"), ("诺", "nuo"),
    ("峰", "feng"), ("晟", "sheng"), ("邦", "bang"), ("信", "xin"), ("辰", "chen"), ("美", "mei"),
    ("迈", "mai"), ("锐", "rui"), ("智", "zhi"), ("舟", "zhou"), ("泽", "ze"), ("洋", "yang"),
    ("拓", "tuo"), ("朗", "lang"), ("维", "wei"), ("凯", "kai"), ("捷", "jie"), ("桥", "qiao"),
]

# Industry words of company names per field (zh, en).
INDUSTRY_WORDS: dict[str, list[tuple[str, str]]] = {
    "marine_equipment": [("海洋装备", "Marine Equipment"), ("船舶科技", "Marine Technology"),
                         ("海工", "Offshore Engineering")],
    "marine_bio": [("海洋生物", "Marine Biotech"), ("海藻科技", "Seaweed Technology"),
                   ("海洋健康", "Ocean Health")],
    "fisheries": [("海洋渔业", "Fisheries"), ("水产科技", "Aquaculture Technology"),
                  ("海洋牧场", "Marine Ranching")],
    "desalination": [("水处理", "Water Treatment"), ("膜科技", "Membrane Technology"),
                     ("水务科技", "Water Technology")],
    "smart_home": [("智能家电", "Smart Appliances"), ("电器", "Electric Appliance"),
                   ("智能家居", "Smart Home")],
    "rail_transit": [("轨道装备", "Rail Equipment"), ("轨道交通", "Rail Transit"),
                     ("机车配件", "Rolling-Stock Parts")],
    "vr": [("虚拟现实", "Virtual Reality"), ("光学科技", "Optics"), ("数字视觉", "Digital Vision")],
    "ai": [("智能科技", "Intelligent Technology"), ("人工智能", "Artificial Intelligence"),
           ("数据科技", "Data Technology")],
    "synthetic_bio": [("合成生物", "Synthetic Biology"), ("生物工程", "Bioengineering"),
                      ("发酵科技", "Fermentation Technology")],
    "biomedicine": [("生物医药", "Biopharma"), ("医疗器械", "Medical Devices"),
                    ("药业", "Pharmaceutical")],
    "new_energy": [("新能源", "New Energy"), ("氢能科技", "Hydrogen Technology"),
                   ("储能科技", "Energy Storage")],
    "new_materials": [("新材料", "New Materials"), ("复合材料", "Composites"),
                      ("功能材料", "Functional Materials")],
    "chemicals": [("化工", "Chemical"), ("精细化工", "Fine Chemicals"), ("橡塑", "Rubber and Plastics")],
    "ict": [("信息技术", "Information Technology"), ("通信科技", "Communication Technology"),
            ("软件", "Software")],
    "green_tech": [("环保科技", "Environmental Technology"), ("节能科技", "Energy Saving"),
                   ("低碳科技", "Low-Carbon Technology")],
    "tech_services": [("科技服务", "Technology Services"), ("检测技术", "Testing Technology"),
                      ("知识产权", "Intellectual Property")],
}

COMPANY_FORMS: list[tuple[str, str]] = [
    ("有限公司", "Co., Ltd."), ("股份有限公司", "Corporation"), ("集团有限公司", "Group Co., Ltd."),
    ("发展有限公司", "Development Co., Ltd."),
]

# Where out-of-city enterprises are based: province code -> (city zh, city en).
EXTERNAL_CITIES: dict[str, tuple[str, str]] = {
    "110000": ("北京", "Beijing"), "310000": ("上海", "Shanghai"), "320000": ("苏州", "Suzhou"),
    "330000": ("杭州", "Hangzhou"), "440000": ("深圳", "Shenzhen"), "340000": ("合肥", "Hefei"),
    "420000": ("武汉", "Wuhan"), "510000": ("成都", "Chengdu"), "610000": ("西安", "Xi'an"),
    "120000": ("天津", "Tianjin"),
}

# Fictional but plausible universities and colleges of the example city (zh, en).
UNIVERSITIES: list[tuple[str, str]] = [
    ("青岛海洋大学", "Qingdao Ocean University"),
    ("青岛理工学院", "Qingdao Institute of Technology"),
    ("胶州湾大学", "Jiaozhou Bay University"),
    ("崂山科技大学", "Laoshan University of Science and Technology"),
    ("黄海海洋学院", "Yellow Sea Maritime College"),
    ("山东船舶工程学院", "Shandong Institute of Naval Architecture"),
    ("青岛医科大学", "Qingdao Medical University"),
    ("青岛信息工程学院", "Qingdao Institute of Information Engineering"),
    ("琴岛大学", "Qindao University"),
    ("青岛轨道交通职业技术学院", "Qingdao Rail Transit Polytechnic"),
    ("青岛化工学院", "Qingdao Institute of Chemical Technology"),
    ("山东海事大学", "Shandong Maritime University"),
    ("青岛农业科技大学", "Qingdao University of Agricultural Science and Technology"),
    ("青岛能源工程学院", "Qingdao Institute of Energy Engineering"),
    ("青岛材料科学学院", "Qingdao College of Materials Science"),
    ("青岛电子科技大学", "Qingdao University of Electronic Science and Technology"),
    ("西海岸理工大学", "West Coast University of Technology"),
    ("青岛生物工程职业学院", "Qingdao Vocational College of Bioengineering"),
    ("即墨工程学院", "Jimo Institute of Engineering"),
    ("鳌山湾科技大学", "Aoshan Bay University of Science and Technology"),
    ("青岛环境工程学院", "Qingdao Institute of Environmental Engineering"),
    ("山东半岛职业技术学院", "Shandong Peninsula Polytechnic"),
    ("青岛智能制造职业学院", "Qingdao Vocational College of Intelligent Manufacturing"),
    ("青岛航海学院", "Qingdao Nautical College"),
    ("青岛城市建设学院", "Qingdao College of Urban Construction"),
]

# Research topics per field for institute names (zh, en).
INSTITUTE_TOPICS: dict[str, tuple[str, str]] = {
    "marine_equipment": ("深海装备", "Deep-Sea Equipment"),
    "marine_bio": ("海洋生物医药", "Marine Biomedicine"),
    "fisheries": ("海水养殖", "Mariculture"),
    "desalination": ("海水淡化与综合利用", "Desalination and Seawater Utilisation"),
    "smart_home": ("智能家电", "Smart Appliances"),
    "rail_transit": ("轨道交通装备", "Rail Transit Equipment"),
    "vr": ("虚拟现实与光学", "Virtual Reality and Optics"),
    "ai": ("人工智能", "Artificial Intelligence"),
    "synthetic_bio": ("合成生物学", "Synthetic Biology"),
    "biomedicine": ("创新药物", "Drug Discovery"),
    "new_energy": ("海洋新能源", "Ocean Renewable Energy"),
    "new_materials": ("先进材料", "Advanced Materials"),
    "chemicals": ("绿色化工", "Green Chemical Engineering"),
    "ict": ("工业互联网", "Industrial Internet"),
    "green_tech": ("碳中和技术", "Carbon Neutrality Technology"),
    "tech_services": ("科技战略", "Science and Technology Strategy"),
}
# Institute name forms: {topic} zh / {Topic} en, {uni} a university.
INSTITUTE_FORMS: list[tuple[str, str]] = [
    ("青岛{topic}研究院", "Qingdao Research Institute of {Topic}"),
    ("山东省{topic}研究所", "Shandong Institute of {Topic}"),
    ("{uni}{topic}研究院", "{Uni} Institute of {Topic}"),
    ("青岛{topic}技术创新中心", "Qingdao {Topic} Innovation Centre"),
]

GOVERNMENT_BODIES: list[tuple[str, str]] = [
    ("青岛市科学技术局", "Qingdao Municipal Bureau of Science and Technology"),
    ("青岛市海洋发展局", "Qingdao Municipal Bureau of Ocean Development"),
    ("青岛市工业和信息化局", "Qingdao Municipal Bureau of Industry and Information Technology"),
    ("青岛市发展和改革委员会", "Qingdao Municipal Development and Reform Commission"),
    ("青岛市市场监督管理局", "Qingdao Municipal Administration for Market Regulation"),
    ("青岛市生态环境局", "Qingdao Municipal Bureau of Ecology and Environment"),
]

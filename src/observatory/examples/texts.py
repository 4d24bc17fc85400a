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
    ],
    "marine_bio": [
        ("海藻多糖提取纯化工艺", "extraction and purification of seaweed polysaccharides"),
        ("海洋微生物酶制剂", "enzyme preparations from marine microorganisms"),
        ("鱼胶原蛋白肽制备", "preparation of fish collagen peptides"),
        ("海洋来源抗菌肽", "antimicrobial peptides of marine origin"),
    ],
    "fisheries": [
        ("工厂化循环水养殖", "industrial recirculating aquaculture"),
        ("海参良种选育", "selective breeding of sea cucumbers"),
        ("鱼类疫病快速检测", "rapid detection of fish diseases"),
    ],
    "desalination": [
        ("反渗透海水淡化膜", "reverse-osmosis membranes for seawater desalination"),
        ("低温多效蒸馏节能", "energy saving in low-temperature multi-effect distillation"),
        ("浓盐水资源化利用", "resource recovery from desalination brine"),
    ],
    "smart_home": [
        ("家电语音交互模组", "voice interaction module for home appliances"),
        ("变频压缩机控制算法", "control algorithm for inverter compressors"),
        ("智能冰箱食材识别", "food recognition in smart refrigerators"),
        ("家电物联网安全网关", "IoT security gateway for home appliances"),
    ],
    "rail_transit": [
        ("碳纤维地铁车体", "carbon-fibre metro car body"),
        ("高速列车转向架健康监测", "health monitoring of high-speed train bogies"),
        ("轨道交通永磁牵引系统", "permanent-magnet traction system for rail transit"),
        ("列车车门故障预测", "fault prediction for train doors"),
    ],
    "vr": [
        ("虚拟现实一体机光学模组", "optical module for standalone VR headsets"),
        ("Pancake折叠光路镜头", "pancake folded-optics lens"),
        ("眼动追踪注视点渲染", "eye-tracking foveated rendering"),
        ("虚拟现实声学模组", "acoustic module for VR devices"),
        ("Micro OLED显示驱动芯片", "Micro OLED display driver chip"),
    ],
    "ai": [
        ("工业视觉缺陷检测", "industrial machine-vision defect detection"),
        ("大模型知识问答平台", "large-language-model question answering platform"),
        ("港口集装箱智能调度", "intelligent container scheduling at ports"),
        ("多模态医学影像辅助诊断", "multimodal medical-image assisted diagnosis"),
    ],
    "synthetic_bio": [
        ("微生物细胞工厂构建", "construction of microbial cell factories"),
        ("酶定向进化筛选平台", "directed-evolution screening platform for enzymes"),
        ("生物基材料发酵生产", "fermentation production of bio-based materials"),
    ],
    "biomedicine": [
        ("海洋创新药物筛选", "screening of innovative marine drugs"),
        ("单克隆抗体表达纯化", "expression and purification of monoclonal antibodies"),
        ("体外诊断试剂盒", "in-vitro diagnostic reagent kit"),
    ],
    "new_energy": [
        ("钙钛矿太阳能电池", "perovskite solar cells"),
        ("氢燃料电池电堆", "hydrogen fuel-cell stack"),
        ("储能电池热管理", "thermal management of energy-storage batteries"),
        ("海洋温差能发电", "ocean thermal energy conversion"),
    ],
    "new_materials": [
        ("石墨烯导热膜", "graphene thermal-conductive film"),
        ("高性能碳纤维复合材料", "high-performance carbon-fibre composites"),
        ("海洋防腐涂层", "marine anti-corrosion coating"),
        ("液晶显示用光学膜", "optical film for liquid-crystal displays"),
    ],
    "chemicals": [
        ("高端聚烯烃催化剂", "catalyst for high-end polyolefins"),
        ("电子级化学品提纯", "purification of electronic-grade chemicals"),
        ("绿色溶剂替代工艺", "green solvent substitution process"),
    ],
    "ict": [
        ("工业互联网标识解析", "industrial-internet identifier resolution"),
        ("5G专网边缘计算", "edge computing on private 5G networks"),
        ("北斗高精度定位终端", "BeiDou high-precision positioning terminal"),
    ],
    "green_tech": [
        ("工业余热回收利用", "industrial waste-heat recovery"),
        ("二氧化碳捕集与利用", "carbon-dioxide capture and utilisation"),
        ("污水处理节能曝气", "energy-saving aeration for wastewater treatment"),
    ],
    "tech_services": [
        ("科技成果评价服务", "evaluation services for sci-tech achievements"),
        ("知识产权运营平台", "intellectual-property operation platform"),
        ("检验检测认证服务", "testing, inspection and certification services"),
    ],
}

PROBLEMS: list[tuple[str, str]] = [
    ("依赖进口、成本高", "dependence on imports and high cost"),
    ("效率低、能耗高", "low efficiency and high energy use"),
    ("人工检测漏检率高", "high miss rate of manual inspection"),
    ("产品一致性差", "poor product consistency"),
    ("故障难以提前发现", "faults cannot be found in advance"),
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

"""The demo district's reference data. Every name here is invented; no real person or place."""

from __future__ import annotations

from typing import NamedTuple

DISTRICT = ("SFQ", "示范区")  # the district's code is the marker that the seeds are loaded
SEED = 20240601  # one fixed seed: the same data on every machine

# The area is a lattice of COLS x ROWS unit grids; row 0 is the southern edge.
ORIGIN = (120.200, 30.260)  # south-west corner, WGS-84 lng/lat
COLS, ROWS = 8, 5
CELL = (0.006, 0.005)  # degrees: about 575 m east-west and 555 m north-south at 30°N

# (code, name, username of its leader, leader's name)
STREETS = [
    ("SFQ-XS", "西山街道", "leader_west", "韩立峰"),
    ("SFQ-ZH", "中河街道", "leader_centre", "邵雅琴"),
    ("SFQ-DH", "东湖街道", "leader_east", "董承志"),
]

# (code, name, street code, columns [from, to), rows [from, to)): together they cover the lattice.
COMMUNITIES = [
    ("SFQ-XS-SL", "松林社区", "SFQ-XS", (0, 2), (0, 3)),
    ("SFQ-XS-FQ", "枫桥社区", "SFQ-XS", (2, 3), (0, 3)),
    ("SFQ-XS-CP", "翠屏社区", "SFQ-XS", (0, 3), (3, 5)),
    ("SFQ-ZH-LA", "柳岸社区", "SFQ-ZH", (3, 5), (0, 2)),
    ("SFQ-ZH-WC", "文昌社区", "SFQ-ZH", (3, 5), (2, 5)),
    ("SFQ-DH-HT", "荷塘社区", "SFQ-DH", (5, 7), (0, 3)),
    ("SFQ-DH-WY", "望月社区", "SFQ-DH", (7, 8), (0, 3)),
    ("SFQ-DH-HB", "湖滨社区", "SFQ-DH", (5, 8), (3, 5)),
]

# Residential compounds per community, for addresses of tasks inside the blocks.
COMPOUNDS = {
    "SFQ-XS-SL": ["松林苑", "青松里"], "SFQ-XS-FQ": ["枫桥新村", "红枫花园"],
    "SFQ-XS-CP": ["翠屏山庄", "云栖小区"], "SFQ-ZH-LA": ["柳岸人家", "河畔公寓"],
    "SFQ-ZH-WC": ["文昌府", "书香苑"], "SFQ-DH-HT": ["荷塘月色小区", "莲花坊"],
    "SFQ-DH-WY": ["望月新村", "星辰花园"], "SFQ-DH-HB": ["湖滨一品", "观澜苑"],
}

# Centre lines in lattice units (column, row), so they cross the area whatever its size.
ROADS: list[tuple[str, str, list[tuple[float, float]]]] = [
    ("SFQ-R01", "东湖大道", [(0, 1.0), (3, 1.06), (8, 0.94)]),
    ("SFQ-R02", "文昌路", [(0, 2.5), (4, 2.44), (8, 2.56)]),
    ("SFQ-R03", "翠屏大道", [(0, 4.0), (8, 4.12)]),
    ("SFQ-R04", "南门街", [(2.6, 0.3), (5.5, 0.3)]),
    ("SFQ-R05", "松林路", [(1.0, 0), (1.06, 5)]),
    ("SFQ-R06", "枫桥路", [(2.62, 0), (2.5, 5)]),
    ("SFQ-R07", "柳岸路", [(4.0, 0), (3.94, 2.5), (4.02, 5)]),
    ("SFQ-R08", "荷塘路", [(5.5, 0), (5.42, 3.2)]),
    ("SFQ-R09", "望月路", [(7.2, 0), (7.3, 5)]),
    ("SFQ-R10", "西山路", [(0, 0.2), (1.3, 1.4), (2.62, 2.5)]),
]

# (code, name)
DEPARTMENTS = [
    ("HW", "区环境卫生管理所"),
    ("YL", "区园林绿化管理所"),
    ("SZ", "区市政设施管理所"),
    ("SCJG", "区市场监督管理局"),
    ("ZF", "区城管执法大队"),
    ("SW", "区水务管理站"),
]

# Officers: (username, name). Their duties are set out in reference.py from these lists.
GRID_OFFICERS = [
    "郑晓东", "王丽华", "陈建国", "刘芳芳", "杨志强", "黄美玲", "赵德胜", "周秀英",
    "吴海涛", "孙丽娟", "朱卫东", "胡晓梅", "林志明", "何雪芬", "高建平", "罗春燕",
]
ROAD_CHIEFS = ["马振华", "梁国栋", "宋文斌", "唐志刚", "许明辉"]
COMMUNITY_HEADS = ["冯桂兰", "邓建军", "曹玉梅", "彭长青", "曾慧敏", "萧国庆", "田素珍", "潘立新"]
SUPERVISORS = [("supervisor", "钱文渊"), ("supervisor02", "蒋慧芳")]
# District staff who keep the reference data (局管理员): a duty bureau_admin at the district.
BUREAU_ADMINS = [("bureau_admin", "沈志远")]
# (username, name, department code)
HANDLERS = [
    ("handler_hw", "袁志勇", "HW"), ("handler_yl", "蔡秀兰", "YL"), ("handler_sz", "贾建华", "SZ"),
    ("handler_scjg", "丁美华", "SCJG"), ("handler_zf", "魏振东", "ZF"),
    ("handler_sw", "薛长江", "SW"),
]
# (username, name, region code): 监督员 for the district, one third-party evaluator, and one
# inspector who covers a single street.
INSPECTORS = [
    ("inspector01", "叶海燕", "SFQ"), ("inspector02", "阎明亮", "SFQ"),
    ("inspector03", "余静怡", "SFQ"), ("inspector04", "杜春生", "SFQ-DH"),
]
THIRD_PARTY_INSPECTOR = "inspector03"
CITY_INSPECTION_DESK = "supervisor02"  # the command centre enters the city's inspection findings

W, D, H = "work_hours", "work_days", "hours"  # working hours, working days, natural hours
EV, CO = "event", "component"


class Cat(NamedTuple):
    code: str
    name: str
    kind: str
    limit: int
    unit: str
    points: str  # deduction points, a decimal
    high_deduction: bool
    department: str | None  # where a report goes straight away; None: the grid officer
    auto_dispatch: bool  # False: a supervisor registers (立案) or voids each report first
    on_road: bool  # found on the street, so demo reports lie near a road
    fixable_on_spot: bool  # a patrol can often fix it there and then (自处理)


CATEGORIES = [
    # code, name, kind, limit, unit, points, high, department, auto, on road, fixable on spot
    Cat("GARBAGE_OVERFLOW", "垃圾满溢", EV, 2, W, "1", False, "HW", True, False, True),
    Cat("EXPOSED_GARBAGE", "暴露垃圾", EV, 2, W, "1", False, None, True, False, True),
    Cat("GRAFFITI", "乱涂写乱张贴", EV, 1, D, "0.5", False, None, True, False, True),
    Cat("ILLEGAL_ADS", "违规广告横幅", EV, 2, D, "1", False, "ZF", True, True, False),
    Cat("ROAD_DUST", "道路扬尘", EV, 4, W, "1", False, "HW", True, True, False),
    Cat("DEAD_CORNER", "小区卫生死角", EV, 2, D, "1", False, None, True, False, True),
    Cat("GREENERY_DAMAGE", "绿化损毁", EV, 3, D, "1", False, "YL", True, False, False),
    Cat("RIVER_DEBRIS", "河道漂浮物", EV, 4, W, "1.5", False, "SW", True, False, False),
    Cat("STREET_VENDING", "占道经营/流动摊贩", EV, 2, W, "1", False, None, True, True, True),
    Cat("SHARED_BIKES", "共享单车乱停放", EV, 2, W, "0.5", False, None, True, True, True),
    Cat("ILLEGAL_PARKING", "机动车乱停放", EV, 4, W, "1", False, "ZF", True, True, False),
    Cat("SHOP_SIGN", "店招店牌不规范", EV, 5, D, "1", False, "SCJG", True, True, False),
    Cat("OUTSIDE_SHOP", "出店经营", EV, 1, D, "1", False, None, True, True, True),
    Cat("CONSTRUCTION_WASTE", "建筑垃圾乱倾倒", EV, 1, D, "2", True, "HW", True, False, False),
    Cat("ILLEGAL_CONSTRUCTION", "违法建设", EV, 5, D, "3", True, "ZF", False, False, False),
    Cat("OTHER", "其他问题", EV, 3, D, "0.5", False, None, False, False, False),
    Cat("MANHOLE_MISSING", "井盖缺失", CO, 2, H, "3", True, "SZ", True, True, False),
    Cat("MANHOLE_DAMAGED", "井盖破损", CO, 1, D, "1", False, "SZ", True, True, False),
    Cat("STREET_LIGHT", "路灯不亮", CO, 2, D, "1", False, "SZ", True, True, False),
    Cat("ROAD_DAMAGE", "道路破损", CO, 3, D, "1.5", False, "SZ", True, True, False),
    Cat("GUARDRAIL", "护栏损坏", CO, 2, D, "1", False, "SZ", True, True, False),
    Cat("TRASH_BIN", "果壳箱破损", CO, 1, D, "0.5", False, "HW", True, True, False),
    Cat("ROAD_SIGN", "路名牌损坏", CO, 3, D, "0.5", False, "SZ", True, True, False),
    Cat("STORM_DRAIN", "雨水箅子堵塞", CO, 8, W, "1", False, "SW", True, True, False),
    Cat("FALLEN_TREE", "行道树倒伏", CO, 4, H, "2", True, "YL", True, True, False),
]

DESCRIPTIONS = {
    "GARBAGE_OVERFLOW": ["垃圾桶满溢，周边散落生活垃圾", "分类垃圾桶溢出，异味明显"],
    "EXPOSED_GARBAGE": ["绿化带内有暴露垃圾", "路边堆放生活垃圾未清运"],
    "GRAFFITI": ["墙面有乱涂写", "电线杆上张贴小广告"],
    "ILLEGAL_ADS": ["未经审批悬挂宣传横幅", "人行道上摆放广告牌"],
    "ROAD_DUST": ["渣土车经过后路面扬尘严重", "施工路段未覆盖，扬尘明显"],
    "DEAD_CORNER": ["楼道口堆放杂物", "小区角落积存垃圾，蚊蝇滋生"],
    "GREENERY_DAMAGE": ["绿化带被踩踏，植物损毁", "绿地被占用种菜"],
    "RIVER_DEBRIS": ["河面有漂浮垃圾", "河道岸边有塑料袋堆积"],
    "STREET_VENDING": ["路口有流动摊贩占道经营", "早市摊位占用人行道"],
    "SHARED_BIKES": ["共享单车堆积堵塞人行道", "地铁口单车乱停放"],
    "ILLEGAL_PARKING": ["机动车占用人行道停放", "车辆违停堵塞消防通道"],
    "SHOP_SIGN": ["店招破损存在安全隐患", "店招设置不符合规范"],
    "OUTSIDE_SHOP": ["商铺出店摆放商品", "餐饮店门前占道摆桌"],
    "CONSTRUCTION_WASTE": ["路边倾倒装修垃圾", "空地有建筑垃圾乱倒"],
    "ILLEGAL_CONSTRUCTION": ["屋顶疑似违法搭建", "沿街店面私自扩建"],
    "OTHER": ["群众反映噪声扰民", "路面有不明油污"],
    "MANHOLE_MISSING": ["窨井盖缺失，存在安全隐患", "雨水井盖丢失"],
    "MANHOLE_DAMAGED": ["井盖破损下沉", "井盖松动有异响"],
    "STREET_LIGHT": ["路灯夜间不亮", "多盏路灯损坏"],
    "ROAD_DAMAGE": ["人行道地砖松动破损", "路面坑洼"],
    "GUARDRAIL": ["道路护栏被撞倾斜", "护栏缺失一段"],
    "TRASH_BIN": ["果壳箱破损", "果壳箱被移位"],
    "ROAD_SIGN": ["路名牌歪斜", "路名牌字迹模糊"],
    "STORM_DRAIN": ["雨水箅子被垃圾堵塞", "雨后路面积水"],
    "FALLEN_TREE": ["大风后行道树倒伏", "树枝折断挡住道路"],
}

CAMPAIGNS = [
    # (name, lead department, cooperating departments, categories, days ago it began, length)
    ("共享单车与机动车停放秩序专项整治", "ZF", ["SCJG"], ["SHARED_BIKES", "ILLEGAL_PARKING"],
     50, 45),
    ("背街小巷环境卫生专项整治", "HW", ["YL", "ZF"],
     ["GARBAGE_OVERFLOW", "EXPOSED_GARBAGE", "DEAD_CORNER"], 80, 30),
]

CALENDAR_NAME = "标准工作日历"

# What officers and supervisors write when they move a task along.
NOTES = {
    "void": ["不属于城管职责范围，已告知来电人转相关部门", "现场核实无此问题",
             "重复上报，已合并处理"],
    "rework": ["整改不到位，现场仍有残留", "照片与现场不符，请重新处置", "仅部分整改，请彻底处理"],
    "extension": ["需协调产权单位，申请延期", "材料采购中，申请延长处置时限",
                  "涉及多个部门，需联合处置"],
    "refuse": ["延期理由不充分，请按期完成", "该问题可当日处置，不予延期"],
    "hold": ["等待产权单位确认责任主体", "需待天气好转后施工", "涉及司法程序，暂缓处置"],
    "reassign": ["属专业部门职责，改派", "经核实由属地网格处置，改派"],
    "submit": ["已清理完毕", "已整改到位", "已现场劝离并清理", "已修复"],
    "verify": ["核查通过", "现场已整改到位", "复核合格"],
}

# Systems that post Open311 requests, and the source their requests are filed under.
OPEN311_CLIENTS = [
    ("12345 市民服务热线", "hotline"),
    ("城市管理第三方测评平台", "third_party"),
]

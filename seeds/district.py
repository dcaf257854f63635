"""The demo district's fixed reference data: its units, demo accounts and enterprise tags.

Units are the ones the brief names plus parks and streets of a realistic Jiangbei-like district.
"""

from apps.units.models import Unit

K, P = Unit.Kind, Unit.PeerGroup

# (code, name, short name, kind, peer group)
UNITS = [
    ("dzb", "党政办公室", "党政办", K.OFFICE, P.BUREAUS),
    ("jjfzj", "经济发展局", "经发局", K.BUREAU, P.BUREAUS),
    ("kcj", "科技创新和大数据管理局", "科创局", K.BUREAU, P.BUREAUS),
    ("jsj", "教育和社会保障局", "教社局", K.BUREAU, P.BUREAUS),
    ("czj", "财政局", "财政局", K.BUREAU, P.BUREAUS),
    ("gzj", "规划和自然资源局", "规资局", K.BUREAU, P.BUREAUS),
    ("tcj", "投资促进局", "投促局", K.BUREAU, P.BUREAUS),
    ("spj", "行政审批局", "审批局", K.BUREAU, P.BUREAUS),
    ("smhb", "生命健康办", "生命健康办", K.OFFICE, P.BUREAUS),
    ("cbd", "中央商务区", "CBD", K.BUSINESS_DISTRICT, P.PARKS),
    ("yjy", "产业技术研创园", "研创园", K.PARK, P.PARKS),
    ("swyyg", "生物医药谷", "医药谷", K.PARK, P.PARKS),
    ("xkyq", "芯科跨境电商产业园", "芯科园", K.PARK, P.PARKS),
    ("znzz", "智能制造产业园", "智造园", K.PARK, P.PARKS),
    ("xcl", "新材料科技园", "新材料园", K.PARK, P.PARKS),
    ("dsjd", "顶山街道", "顶山", K.STREET, P.STREETS),
    ("yjjd", "沿江街道", "沿江", K.STREET, P.STREETS),
    ("tsjd", "泰山街道", "泰山", K.STREET, P.STREETS),
    ("pcjd", "盘城街道", "盘城", K.STREET, P.STREETS),
    ("dcjd", "大厂街道", "大厂", K.STREET, P.STREETS),
    ("gtjd", "葛塘街道", "葛塘", K.STREET, P.STREETS),
    ("cljd", "长芦街道", "长芦", K.STREET, P.STREETS),
]

DEMO_PASSWORD = "Jiangbei@2024"

# The canonical demo logins printed by `make run`: (username, display name, unit code, role, note).
DEMO_ACCOUNTS = [
    ("zhangwei", "张伟", "yjy", "staff", "研创园 staff member"),
    ("lina", "李娜", "yjy", "staff", "研创园 colleague"),
    ("wangfang", "王芳", "jjfzj", "staff", "经发局 staff member"),
    ("liuyang", "刘洋", "yjy", "unit manager", "研创园 manager"),
    ("chenlei", "陈磊", "jjfzj", "unit manager", "经发局 manager"),
    ("zhaomin", "赵敏", "dzb", "leader", "district leader"),
    ("admin", "系统管理员", "dzb", "admin", "Django admin"),
]

TAGS = [
    "高新技术企业",
    "专精特新",
    "瞪羚企业",
    "独角兽企业",
    "上市企业",
    "科技型中小企业",
    "外资企业",
    "总部企业",
]

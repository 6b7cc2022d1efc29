"""Demo customers for ``flask --app portal seed-demo``."""
from datetime import date, timedelta

from portal.database import utcnow
from portal.extensions import db
from portal.models import Contact, Customer, LookupKind, LookupValue, Stage
from portal.rules.customers import refresh_keys
from portal.rules.followups import company_today, ensure_default_grade_policies, next_follow_up_for_grade
from portal.seed import register_demo_seeder

CUSTOMER_TYPES = ["超市", "批发市场", "餐饮", "学校食堂", "企业食堂", "生鲜电商"]
SOURCES = ["来电", "展会", "网站", "转介绍"]

P, I, S, L = Stage.POTENTIAL.value, Stage.INTENDED.value, Stage.SIGNED.value, Stage.LOST.value
# owner, name, type, source, region, phone, stage, grade, contacts [(name, title, mobile, birthday)]
DEMO_CUSTOMERS = [
    ("liu.yang", "华润万家(南山店)", "超市", "展会", "深圳", "0755-26681234", S, "A",
     [("王建国", "采购经理", "13902881234", date(1978, 3, 12)), ("李梅", "收货主管", "13715526677", None)]),
    ("liu.yang", "深圳市布吉农产品批发市场有限公司", "批发市场", "转介绍", "深圳", "0755-28871100", I, "B",
     [("陈志强", "档口负责人", "13600011223", date(1985, 11, 2))]),
    ("liu.yang", "海底捞火锅(福田店)", "餐饮", "来电", "深圳", "0755-83345566", I, "A",
     [("赵磊", "店长", "13823345566", None)]),
    ("liu.yang", "南山实验学校食堂", "学校食堂", "网站", "深圳", "0755-26540011", P, "C",
     [("孙丽", "后勤主任", "13510098765", date(1980, 6, 18))]),
    ("liu.yang", "百果园(科技园店)", "超市", "来电", "深圳", "", L, None,
     [("周文", "店长", "13925556789", None)]),
    ("chen.jing", "广州江南果菜批发市场", "批发市场", "展会", "广州", "020-86091234", S, "A",
     [("黄伟", "总经理", "13802231122", date(1972, 9, 30)), ("林芳", "财务", "13902234455", None)]),
    ("chen.jing", "永辉超市(天河店)", "超市", "网站", "广州", "020-38801234", I, "B",
     [("吴刚", "生鲜采购", "13719987766", None)]),
    ("chen.jing", "广州大学城华师食堂", "学校食堂", "转介绍", "广州", "020-39310000", P, "C",
     [("郑红", "采购员", "13622211334", date(1988, 2, 14))]),
    ("chen.jing", "点都德(珠江新城店)", "餐饮", "来电", "广州", "020-38882211", I, "B", []),
    ("chen.jing", "盒马鲜生(广州天河)", "生鲜电商", "展会", "广州", "", P, "D",
     [("马超", "品类经理", "18620001234", None)]),
    ("yang.lei", "东莞虎门富民果蔬市场", "批发市场", "来电", "东莞", "0769-85121234", I, "A",
     [("何明", "市场经理", "13549991234", date(1983, 7, 7))]),
    ("yang.lei", "佛山美的集团员工食堂", "企业食堂", "转介绍", "佛山", "0757-26331234", S, "B",
     [("冯静", "膳食主管", "13690021234", None), ("邓超", "采购", "13690025678", None)]),
    ("yang.lei", "天虹超市(东莞店)", "超市", "网站", "东莞", "0769-22441234", P, None, []),
    ("yang.lei", "珠海北师大附中食堂", "学校食堂", "展会", "珠海", "0756-33881234", I, "C",
     [("曹雪", "后勤", "13727761234", date(1990, 12, 1))]),
    ("yang.lei", "鲜丰水果(佛山旗舰店)", "超市", "来电", "佛山", "", L, None, []),
    ("zhao.min", "北京新发地农产品批发市场", "批发市场", "展会", "北京", "010-83721234", S, "A",
     [("刘强", "蔬菜区负责人", "13911112345", date(1975, 4, 21)), ("许丹", "结算", "13911116789", None)]),
    ("zhao.min", "物美超市(海淀店)", "超市", "网站", "北京", "010-62551234", I, "B",
     [("彭亮", "采购经理", "13801112233", None)]),
    ("zhao.min", "清华大学紫荆园食堂", "学校食堂", "转介绍", "北京", "010-62781234", I, "B",
     [("宋佳", "采购主管", "13701119988", date(1986, 8, 8))]),
    ("zhao.min", "眉州东坡酒楼(中关村店)", "餐饮", "来电", "北京", "010-82861234", P, "C", []),
    ("zhao.min", "每日优鲜(北京仓)", "生鲜电商", "展会", "北京", "", L, None,
     [("韩梅", "供应链", "18600112233", None)]),
    ("huang.qiang", "上海江桥批发市场经营管理有限公司", "批发市场", "来电", "上海", "021-59141234", S, "A",
     [("唐军", "招商部经理", "13916661234", date(1979, 1, 25))]),
    ("huang.qiang", "联华超市(浦东店)", "超市", "网站", "上海", "021-58881234", I, "B",
     [("曾琳", "生鲜主管", "13816661234", None)]),
    ("huang.qiang", "复旦大学北区食堂", "学校食堂", "转介绍", "上海", "021-65641234", P, "C",
     [("潘伟", "后勤处", "13761661234", None)]),
    ("huang.qiang", "小南国(人民广场店)", "餐饮", "展会", "上海", "021-63601234", I, "A", []),
    ("huang.qiang", "叮咚买菜(上海)", "生鲜电商", "网站", "上海", "", P, "D",
     [("袁芳", "采购", "18916661234", date(1992, 5, 5))]),
    ("zhou.jie", "杭州良渚蔬菜批发市场", "批发市场", "展会", "杭州", "0571-88661234", I, "A",
     [("蒋涛", "总经理", "13957161234", None)]),
    ("zhou.jie", "世纪联华(杭州庆春店)", "超市", "来电", "杭州", "0571-87211234", S, "B",
     [("沈阳", "采购经理", "13867161234", date(1981, 10, 10))]),
    ("zhou.jie", "浙江大学紫金港食堂", "学校食堂", "转介绍", "杭州", "0571-88981234", I, "C",
     [("韦敏", "膳食科", "13757161234", None)]),
    ("zhou.jie", "外婆家(西湖店)", "餐饮", "网站", "杭州", "0571-87061234", P, None, []),
    ("zhou.jie", "宁波三江购物", "超市", "展会", "宁波", "0574-87351234", L, None,
     [("任杰", "店长", "13957461234", None)]),
]


@register_demo_seeder("customers")
def seed_customers(accounts: dict) -> None:
    """The lists of values and about thirty customers with contacts, spread over the salespeople."""
    ensure_default_grade_policies()
    lookups = {}
    for kind, names in ((LookupKind.CUSTOMER_TYPE, CUSTOMER_TYPES), (LookupKind.SOURCE, SOURCES)):
        for position, name in enumerate(names):
            value = LookupValue(kind=kind.value, name=name, position=position)
            db.session.add(value)
            lookups[kind, name] = value
    db.session.flush()
    today = company_today()
    for index, (owner, name, type_name, source, region, phone, stage, grade, contacts) in enumerate(DEMO_CUSTOMERS):
        user = accounts[owner]
        customer = Customer(
            name=name,
            customer_type_id=lookups[LookupKind.CUSTOMER_TYPE, type_name].id,
            source_id=lookups[LookupKind.SOURCE, source].id,
            region=region,
            phone=phone,
            mobile=contacts[0][2] if contacts else "",
            stage=stage,
            intention_grade=grade,
            owner_id=user.id,
            department_id=user.department_id,
            # Some follow-ups are overdue, some due soon, so the lists and My day have content.
            next_follow_up_on=(
                next_follow_up_for_grade(grade, today - timedelta(days=index % 9 * 3)) if stage in (P, I, S) else None
            ),
        )
        for contact_name, title, mobile, birthday in contacts:
            customer.contacts.append(
                Contact(
                    name=contact_name,
                    title=title,
                    mobile=mobile,
                    birthday=birthday,
                    birthday_md=birthday.month * 100 + birthday.day if birthday else None,
                )
            )
        refresh_keys(customer)
        # Two in three were registered before the demo's history starts; the others one by one
        # over the year, the newest this week.
        customer.created_at = utcnow() - timedelta(days=420 + index if index % 3 else 2 + index * 13 % 380)
        db.session.add(customer)
    db.session.flush()

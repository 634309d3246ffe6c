//! The synthetic operator's fixed reference data: branches, tariff plans, handsets, the
//! tier mix, and the vocabulary names and event details are drawn from.

use weiwan_domain::codes::{PaymentType, VipTier};

/// A branch (分公司) and the city it serves; `weight` is its share of customers.
#[derive(Debug)]
pub(crate) struct Branch {
    pub id: &'static str,
    pub name: &'static str,
    pub city: &'static str,
    /// Administrative division code of the district, the first six digits of the resident
    /// ID numbers issued there.
    pub region_code: &'static str,
    pub weight: u32,
}

pub(crate) const BRANCHES: [Branch; 10] = [
    Branch { id: "BR01", name: "城东分公司", city: "杭州", region_code: "330102", weight: 14 },
    Branch { id: "BR02", name: "城西分公司", city: "杭州", region_code: "330106", weight: 12 },
    Branch { id: "BR03", name: "滨江分公司", city: "杭州", region_code: "330108", weight: 11 },
    Branch { id: "BR04", name: "萧山分公司", city: "杭州", region_code: "330109", weight: 10 },
    Branch { id: "BR05", name: "海曙分公司", city: "宁波", region_code: "330203", weight: 10 },
    Branch { id: "BR06", name: "鄞州分公司", city: "宁波", region_code: "330212", weight: 10 },
    Branch { id: "BR07", name: "鹿城分公司", city: "温州", region_code: "330302", weight: 9 },
    Branch { id: "BR08", name: "瑞安分公司", city: "温州", region_code: "330381", weight: 8 },
    Branch { id: "BR09", name: "越城分公司", city: "绍兴", region_code: "330602", weight: 8 },
    Branch { id: "BR10", name: "婺城分公司", city: "金华", region_code: "330702", weight: 8 },
];

pub(crate) fn branch_weights() -> [u32; BRANCHES.len()] {
    BRANCHES.map(|b| b.weight)
}

/// Birthplaces of customers who moved to the province: other provinces' capital districts.
pub(crate) const MIGRANT_REGION_CODES: [&str; 10] =
    ["320102", "340102", "360102", "410102", "430102", "510104", "520102", "420102", "350102", "370102"];

/// A tariff plan (套餐).
#[derive(Debug)]
pub(crate) struct Plan {
    pub id: &'static str,
    pub name: &'static str,
    pub monthly_fee_yuan: i64,
    pub payment_type: PaymentType,
    pub is_5g: bool,
    pub data_mb: i64,
    pub voice_minutes: i64,
}

const fn plan(
    id: &'static str,
    name: &'static str,
    monthly_fee_yuan: i64,
    payment_type: PaymentType,
    is_5g: bool,
    data_gb: i64,
    voice_minutes: i64,
) -> Plan {
    Plan { id, name, monthly_fee_yuan, payment_type, is_5g, data_mb: data_gb * 1024, voice_minutes }
}

const PRE: PaymentType = PaymentType::Prepaid;
const POST: PaymentType = PaymentType::Postpaid;

/// Plans in increasing monthly fee; tier weights below are indexed the same way.
pub(crate) const PLANS: [Plan; 13] = [
    plan("4G-PRE-018", "4G畅聊18元卡", 18, PRE, false, 3, 100),
    plan("4G-PRE-038", "4G乐享38元卡", 38, PRE, false, 10, 200),
    plan("5G-PRE-058", "5G青春58元卡", 58, PRE, true, 30, 200),
    plan("4G-POST-058", "4G飞享58元套餐", 58, POST, false, 15, 300),
    plan("4G-POST-078", "4G飞享78元套餐", 78, POST, false, 25, 500),
    plan("5G-POST-096", "5G畅享96元套餐", 96, POST, true, 30, 500),
    plan("5G-POST-128", "5G畅享128元套餐", 128, POST, true, 40, 700),
    plan("5G-POST-158", "5G畅享158元套餐", 158, POST, true, 60, 900),
    plan("5G-POST-198", "5G畅享198元套餐", 198, POST, true, 80, 1200),
    plan("5G-POST-238", "5G智享238元套餐", 238, POST, true, 100, 1500),
    plan("5G-POST-288", "5G智享288元套餐", 288, POST, true, 120, 2000),
    plan("5G-POST-388", "5G尊享388元套餐", 388, POST, true, 200, 3000),
    plan("5G-POST-588", "5G尊享588元套餐", 588, POST, true, 300, 5000),
];

/// Share of customers per tier, in percent: diamond 1, gold 4, silver 10, member 25, mass 60.
pub(crate) const TIERS: [VipTier; 5] =
    [VipTier::Diamond, VipTier::Gold, VipTier::Silver, VipTier::Member, VipTier::Mass];
pub(crate) const TIER_WEIGHTS: [u32; 5] = [1, 4, 10, 25, 60];

/// Plan choice of a customer's main line by tier: higher tiers sit on dearer plans, and
/// prepaid cards are a mass-market product.
pub(crate) fn plan_weights(tier: VipTier) -> &'static [u32; PLANS.len()] {
    match tier {
        VipTier::Mass => &[16, 17, 8, 16, 12, 13, 9, 5, 2, 1, 1, 0, 0],
        VipTier::Member => &[2, 4, 4, 10, 14, 20, 18, 12, 8, 4, 2, 1, 1],
        VipTier::Silver => &[0, 1, 1, 4, 8, 16, 20, 18, 14, 9, 5, 3, 1],
        VipTier::Gold => &[0, 0, 0, 1, 3, 8, 12, 18, 20, 16, 12, 7, 3],
        VipTier::Diamond => &[0, 0, 0, 0, 0, 2, 5, 10, 16, 18, 20, 17, 12],
    }
}

/// Plans of secondary family lines (副卡): mostly the cheap end.
pub(crate) const SECONDARY_LINE_PLAN_WEIGHTS: [u32; PLANS.len()] =
    [20, 18, 8, 22, 14, 10, 5, 2, 1, 0, 0, 0, 0];

/// How many lines a customer owns (1, 2 or 3), by tier.
pub(crate) fn line_count_weights(tier: VipTier) -> [u32; 3] {
    match tier {
        VipTier::Mass => [80, 14, 6],
        VipTier::Member => [72, 19, 9],
        VipTier::Silver => [65, 23, 12],
        VipTier::Gold => [58, 27, 15],
        VipTier::Diamond => [50, 30, 20],
    }
}

/// A handset model and its price band: 0 budget, 1 mid-range, 2 flagship.
#[derive(Debug)]
pub(crate) struct Device {
    pub model: &'static str,
    pub band: u8,
}

const fn device(model: &'static str, band: u8) -> Device {
    Device { model, band }
}

pub(crate) const DEVICES: [Device; 28] = [
    device("iPhone 16 Pro Max", 2),
    device("iPhone 16 Pro", 2),
    device("iPhone 15", 2),
    device("iPhone 14", 1),
    device("iPhone 13", 1),
    device("iPhone 11", 0),
    device("HUAWEI Mate 60 Pro", 2),
    device("HUAWEI Mate X5", 2),
    device("HUAWEI Pura 70", 2),
    device("HUAWEI nova 12", 1),
    device("HUAWEI畅享 70", 0),
    device("Xiaomi 14", 2),
    device("Redmi K70", 1),
    device("Redmi Note 13", 0),
    device("Redmi 13C", 0),
    device("OPPO Find X7", 2),
    device("OPPO Reno11", 1),
    device("OPPO A2", 0),
    device("vivo X100", 2),
    device("vivo S18", 1),
    device("vivo Y36", 0),
    device("荣耀 Magic6", 2),
    device("荣耀 X50", 1),
    device("荣耀 Play8T", 0),
    device("Samsung Galaxy S24", 2),
    device("一加 12", 1),
    device("realme GT5", 1),
    device("诺基亚 105 4G", 0),
];

/// Common surnames, most common first (the generator favours the front of the list).
pub(crate) const SURNAMES: [&str; 60] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何",
    "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田",
    "董", "袁", "潘", "蒋", "蔡", "余", "杜", "叶", "程", "魏", "苏", "吕", "丁", "任", "沈", "姚", "卢",
    "钟", "姜", "崔", "谭", "陆", "范", "汪", "金", "方",
];

pub(crate) const GIVEN_NAME_CHARACTERS: [&str; 60] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
    "秀", "霞", "平", "刚", "英", "华", "玉", "萍", "红", "建", "文", "辉", "宇", "浩", "婷", "欣", "雪",
    "琳", "晨", "子", "涵", "梓", "轩", "一", "诺", "佳", "怡", "俊", "博", "思", "雨", "嘉", "鑫", "鹏",
    "飞", "斌", "峰", "波", "亮", "晶", "颖", "慧", "志",
];

pub(crate) const COMPANY_WORDS: [&str; 16] = [
    "恒达", "华信", "天成", "金鼎", "瑞丰", "鼎盛", "宏远", "新宇", "安捷", "博远", "海纳", "万通", "银河",
    "中科", "正泰", "东方",
];

pub(crate) const COMPANY_TRADES: [&str; 12] =
    ["科技", "贸易", "建设", "物流", "电子", "医药", "纺织", "机械", "网络", "餐饮管理", "教育咨询", "服装"];

/// Characters of a unified social credit code (统一社会信用代码): digits and capitals
/// without I, O, S, V and Z.
pub(crate) const CREDIT_CODE_CHARACTERS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Free-text details of events, as the source systems would write them.
pub(crate) mod detail {
    pub(crate) const COMPLAINT: [&str; 8] = [
        "网络信号差",
        "资费争议",
        "营销短信骚扰",
        "计费疑问",
        "客服服务态度",
        "流量扣费异常",
        "套餐未按承诺生效",
        "5G网络覆盖不足",
    ];
    pub(crate) const COMPETITOR_SERVICE_CALL: [&str; 3] = ["呼叫10010", "呼叫10000", "呼叫10099"];
    pub(crate) const PORTING_INQUIRY: [&str; 2] = ["短信查询携转资格", "营业厅咨询携号转网"];
    pub(crate) const CALL_FORWARDING: [&str; 2] = ["设置无条件呼叫转移至异网号码", "设置无应答呼叫转移"];
    pub(crate) const DISCONNECTION_REQUEST: [&str; 2] = ["营业厅申请拆机", "申请携号转出"];
    pub(crate) const DISCONNECTION: [&str; 2] = ["拆机离网", "携号转网转出"];
    pub(crate) const ARREARS: &str = "月结欠费";
    pub(crate) const SUSPENSION_VOLUNTARY: [&str; 2] = ["用户申请停机", "挂失停机"];
    pub(crate) const SUSPENSION_ARREARS: &str = "欠费停机";
    pub(crate) const SUSPENSION_NUMBER_KEEP: &str = "停机保号";
    pub(crate) const REACTIVATION_AFTER_PAYMENT: &str = "缴费复机";
    pub(crate) const REACTIVATION_ON_REQUEST: &str = "申请复机";
    pub(crate) const PLAN_CHANGE_PREFIX: &str = "变更为";
}

//! The catalogue of the demo shop. Each product carries a [`Kind`] next to its public fields so
//! the order simulation can build baskets from a family's needs (diaper size by the baby's age,
//! formula stage, skin care for a sensitive baby) instead of picking products at random.

use crate::ids::IdSource;
use kefu_domain::{Product, ShopId, Timestamp};
use std::collections::BTreeMap;

/// What a product is for, as the basket model sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// 纸尿裤 of one line, size index into [`DIAPER_SIZES`].
    Diaper {
        line: usize,
        size: usize,
    },
    /// 拉拉裤 of one line, size index into [`PANTS_SIZES`].
    Pants {
        line: usize,
        size: usize,
    },
    Wipes,
    ButtCream,
    EczemaCream,
    Lotion,
    Wash,
    SensitiveKit,
    /// 奶粉: line and stage (0 = 1段, 1 = 2段, 2 = 3段).
    Formula {
        line: usize,
        stage: usize,
    },
    RiceCereal,
    Puree,
    Snack,
    Bottle,
    Nipple,
    Tableware,
    /// A toy for babies from `min_months` months old.
    Toy {
        min_months: i64,
    },
}

/// Diaper sizes with the pieces per pack, in growth order.
pub(crate) const DIAPER_SIZES: &[(&str, u32, &str)] = &[
    ("NB", 84, "0-5kg"),
    ("S", 76, "4-8kg"),
    ("M", 62, "6-11kg"),
    ("L", 52, "9-14kg"),
    ("XL", 44, "12-17kg"),
    ("XXL", 38, "15kg以上"),
];

pub(crate) const PANTS_SIZES: &[(&str, u32, &str)] = &[
    ("L", 48, "9-14kg"),
    ("XL", 42, "12-17kg"),
    ("XXL", 36, "15-20kg"),
    ("XXXL", 32, "17kg以上"),
];

/// Which diaper size a baby of `age_days` wears. Unborn babies (negative age) get NB: parents
/// stock up before the birth.
pub(crate) fn diaper_size_for(age_days: i64) -> usize {
    match age_days {
        ..35 => 0,
        35..100 => 1,
        100..240 => 2,
        240..420 => 3,
        420..660 => 4,
        _ => 5,
    }
}

pub(crate) fn pants_size_for(age_days: i64) -> usize {
    match age_days {
        ..420 => 0,
        420..640 => 1,
        640..900 => 2,
        _ => 3,
    }
}

/// 1段 0-6 months, 2段 6-12 months, 3段 from one year.
pub(crate) fn formula_stage_for(age_days: i64) -> usize {
    match age_days {
        ..183 => 0,
        183..365 => 1,
        _ => 2,
    }
}

/// One catalogue entry: the public product plus its kind.
#[derive(Debug, Clone)]
pub(crate) struct Item {
    pub product: Product,
    pub kind: Kind,
}

/// A product before ids and timestamps are attached.
struct Draft {
    sku: String,
    name: String,
    category: &'static str,
    price_fen: i64,
    attrs: Vec<(&'static str, String)>,
    kind: Kind,
}

fn draft(
    sku: &str,
    name: &str,
    category: &'static str,
    price_fen: i64,
    attrs: &[(&'static str, &str)],
    kind: Kind,
) -> Draft {
    Draft {
        sku: sku.to_owned(),
        name: name.to_owned(),
        category,
        price_fen,
        attrs: attrs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
        kind,
    }
}

/// Diaper lines: (brand, series, sku prefix, base price per pack in fen, features).
pub(crate) const DIAPER_LINES: &[(&str, &str, &str, i64, &str)] = &[
    (
        "柔芯",
        "超薄透气",
        "RX-DP",
        11_900,
        "超薄0.2cm、3D透气、无香精",
    ),
    (
        "云朵棉",
        "夜用安睡",
        "YD-DP",
        13_900,
        "12小时夜间吸收、防侧漏、弱酸亲肤",
    ),
];

pub(crate) const PANTS_LINES: &[(&str, &str, &str, i64, &str)] = &[
    ("柔芯", "成长裤", "RX-PT", 12_900, "360°弹力腰围、超薄透气"),
    (
        "云朵棉",
        "夜用拉拉裤",
        "YD-PT",
        14_900,
        "夜用加量吸收、后腰防漏",
    ),
];

pub(crate) const FORMULA_LINES: &[(&str, &str, &str, i64)] = &[
    ("爱臻源", "有机婴儿配方奶粉", "AZ-MF", 26_800),
    ("贝亲护", "A2β-酪蛋白配方奶粉", "BQ-MF", 32_800),
];

fn drafts() -> Vec<Draft> {
    let mut out = Vec::new();
    for (line, (brand, series, prefix, base, feature)) in DIAPER_LINES.iter().enumerate() {
        for (size, (code, pieces, weight)) in DIAPER_SIZES.iter().enumerate() {
            out.push(Draft {
                sku: format!("{prefix}-{code}"),
                name: format!("{brand}{series}纸尿裤 {code}码 {pieces}片"),
                category: "纸尿裤",
                price_fen: base + 1_000 * i64::try_from(size % 3).unwrap_or(0),
                attrs: vec![
                    ("品牌", (*brand).to_owned()),
                    ("规格", format!("{code}码 {pieces}片")),
                    ("适用体重", (*weight).to_owned()),
                    ("保质期", "3年".to_owned()),
                    ("特点", (*feature).to_owned()),
                ],
                kind: Kind::Diaper { line, size },
            });
        }
    }
    for (line, (brand, series, prefix, base, feature)) in PANTS_LINES.iter().enumerate() {
        for (size, (code, pieces, weight)) in PANTS_SIZES.iter().enumerate() {
            out.push(Draft {
                sku: format!("{prefix}-{code}"),
                name: format!("{brand}{series} {code}码 {pieces}片"),
                category: "拉拉裤",
                price_fen: base + 500 * i64::try_from(size).unwrap_or(0),
                attrs: vec![
                    ("品牌", (*brand).to_owned()),
                    ("规格", format!("{code}码 {pieces}片")),
                    ("适用体重", (*weight).to_owned()),
                    ("保质期", "3年".to_owned()),
                    ("特点", (*feature).to_owned()),
                ],
                kind: Kind::Pants { line, size },
            });
        }
    }
    let stages = [("1段", "0-6个月"), ("2段", "6-12个月"), ("3段", "1-3岁")];
    for (line, (brand, series, prefix, base)) in FORMULA_LINES.iter().enumerate() {
        for (stage, (label, age)) in stages.iter().enumerate() {
            out.push(Draft {
                sku: format!("{prefix}-{}", stage + 1),
                name: format!("{brand}{series} {label} 800g"),
                category: "奶粉",
                price_fen: base - 1_000 * i64::try_from(stage).unwrap_or(0),
                attrs: vec![
                    ("品牌", (*brand).to_owned()),
                    ("规格", "800g/罐".to_owned()),
                    ("段数", (*label).to_owned()),
                    ("适用年龄", (*age).to_owned()),
                    ("保质期", "2年".to_owned()),
                    ("成分", "含OPO结构脂、乳铁蛋白、DHA".to_owned()),
                ],
                kind: Kind::Formula { line, stage },
            });
        }
    }
    out.extend([
        draft(
            "XY-WP-80X6",
            "小芽手口专用湿巾 80抽×6包",
            "湿巾",
            3_990,
            &[
                ("品牌", "小芽"),
                ("规格", "80抽×6包"),
                ("适用年龄", "0岁以上"),
                ("保质期", "2年"),
                ("特点", "EDI纯水、无酒精、无香精"),
            ],
            Kind::Wipes,
        ),
        draft(
            "XY-WP-80X10",
            "小芽婴儿湿巾 加厚款 80抽×10包",
            "湿巾",
            5_990,
            &[
                ("品牌", "小芽"),
                ("规格", "80抽×10包"),
                ("适用年龄", "0岁以上"),
                ("保质期", "2年"),
                ("特点", "加厚珍珠纹、无酒精"),
            ],
            Kind::Wipes,
        ),
        draft(
            "XY-WP-10X12",
            "小芽便携湿巾 10抽×12包",
            "湿巾",
            1_990,
            &[
                ("品牌", "小芽"),
                ("规格", "10抽×12包"),
                ("适用年龄", "0岁以上"),
                ("保质期", "2年"),
                ("特点", "外出便携装"),
            ],
            Kind::Wipes,
        ),
        draft(
            "RX-BC-30",
            "柔芯氧化锌护臀膏 30g",
            "护臀霜",
            4_900,
            &[
                ("品牌", "柔芯"),
                ("规格", "30g"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("成分", "15%氧化锌、羊毛脂"),
                ("特点", "无香精、隔离尿湿"),
            ],
            Kind::ButtCream,
        ),
        draft(
            "MM-BC-50",
            "萌沐天然护臀霜 50g",
            "护臀霜",
            6_800,
            &[
                ("品牌", "萌沐"),
                ("规格", "50g"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("成分", "金盏花、积雪草"),
                ("特点", "低敏、日常预防红屁屁"),
            ],
            Kind::ButtCream,
        ),
        draft(
            "MM-EC-30",
            "萌沐婴儿舒缓霜(湿疹膏) 30g",
            "湿疹膏",
            8_800,
            &[
                ("品牌", "萌沐"),
                ("规格", "30g"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("成分", "燕麦提取物、神经酰胺"),
                ("特点", "不含激素、低敏、无香精"),
            ],
            Kind::EczemaCream,
        ),
        draft(
            "SA-EC-50",
            "舒安燕麦修护膏 50g",
            "湿疹膏",
            12_800,
            &[
                ("品牌", "舒安"),
                ("规格", "50g"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("成分", "胶体燕麦、乳木果油"),
                ("特点", "敏感肌适用、不含激素"),
            ],
            Kind::EczemaCream,
        ),
        draft(
            "MM-LT-200",
            "萌沐婴儿润肤乳 200ml",
            "洗护",
            7_900,
            &[
                ("品牌", "萌沐"),
                ("规格", "200ml"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "低敏、无香精、全身可用"),
            ],
            Kind::Lotion,
        ),
        draft(
            "SA-LT-400",
            "舒安燕麦保湿润肤乳 400ml",
            "洗护",
            11_900,
            &[
                ("品牌", "舒安"),
                ("规格", "400ml"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "敏感肌适用、秋冬加强保湿"),
            ],
            Kind::Lotion,
        ),
        draft(
            "MM-FC-50",
            "萌沐婴儿面霜 50g",
            "洗护",
            5_900,
            &[
                ("品牌", "萌沐"),
                ("规格", "50g"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "无香精、防皴"),
            ],
            Kind::Lotion,
        ),
        draft(
            "MM-SW-300",
            "萌沐二合一洗发沐浴露 300ml",
            "洗护",
            5_900,
            &[
                ("品牌", "萌沐"),
                ("规格", "300ml"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "无泪配方、弱酸性"),
            ],
            Kind::Wash,
        ),
        draft(
            "SA-SW-500",
            "舒安氨基酸沐浴露 500ml",
            "洗护",
            8_900,
            &[
                ("品牌", "舒安"),
                ("规格", "500ml"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "氨基酸表活、敏感肌适用"),
            ],
            Kind::Wash,
        ),
        draft(
            "XY-LD-1L",
            "小芽婴儿洗衣液 1L",
            "洗护",
            3_990,
            &[
                ("品牌", "小芽"),
                ("规格", "1L"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "无荧光剂、易漂洗"),
            ],
            Kind::Wash,
        ),
        draft(
            "SA-KIT-3",
            "舒安敏感肌护理套装(沐浴露+润肤乳+修护膏)",
            "洗护",
            25_900,
            &[
                ("品牌", "舒安"),
                ("规格", "3件套"),
                ("适用年龄", "0岁以上"),
                ("保质期", "3年"),
                ("特点", "敏感肌护理、不含激素、无香精"),
            ],
            Kind::SensitiveKit,
        ),
        draft(
            "HG-RC-1",
            "禾谷高铁有机米粉 原味 1段 225g",
            "辅食",
            6_800,
            &[
                ("品牌", "禾谷"),
                ("规格", "225g"),
                ("适用年龄", "6个月以上"),
                ("保质期", "18个月"),
                ("成分", "有机大米、铁、锌"),
                ("特点", "无添加白砂糖"),
            ],
            Kind::RiceCereal,
        ),
        draft(
            "HG-RC-2",
            "禾谷高铁米粉 胡萝卜味 2段 225g",
            "辅食",
            6_900,
            &[
                ("品牌", "禾谷"),
                ("规格", "225g"),
                ("适用年龄", "7个月以上"),
                ("保质期", "18个月"),
                ("成分", "大米、胡萝卜、铁"),
            ],
            Kind::RiceCereal,
        ),
        draft(
            "HG-PR-APL",
            "禾谷苹果果泥 100g×6袋",
            "辅食",
            5_400,
            &[
                ("品牌", "禾谷"),
                ("规格", "100g×6袋"),
                ("适用年龄", "6个月以上"),
                ("保质期", "12个月"),
                ("特点", "无添加糖、单一水果"),
            ],
            Kind::Puree,
        ),
        draft(
            "HG-PR-BNN",
            "禾谷香蕉果泥 100g×6袋",
            "辅食",
            5_400,
            &[
                ("品牌", "禾谷"),
                ("规格", "100g×6袋"),
                ("适用年龄", "6个月以上"),
                ("保质期", "12个月"),
                ("特点", "无添加糖"),
            ],
            Kind::Puree,
        ),
        draft(
            "HG-PR-PRN",
            "禾谷西梅果泥 100g×6袋",
            "辅食",
            5_900,
            &[
                ("品牌", "禾谷"),
                ("规格", "100g×6袋"),
                ("适用年龄", "6个月以上"),
                ("保质期", "12个月"),
                ("特点", "西梅助消化、无添加糖"),
            ],
            Kind::Puree,
        ),
        draft(
            "HG-SN-MY",
            "禾谷酸奶溶豆 18g×3盒",
            "辅食",
            3_900,
            &[
                ("品牌", "禾谷"),
                ("规格", "18g×3盒"),
                ("适用年龄", "8个月以上"),
                ("保质期", "12个月"),
                ("特点", "入口即化"),
            ],
            Kind::Snack,
        ),
        draft(
            "HG-SN-MYB",
            "禾谷磨牙棒 原味 64g",
            "辅食",
            2_900,
            &[
                ("品牌", "禾谷"),
                ("规格", "64g"),
                ("适用年龄", "8个月以上"),
                ("保质期", "12个月"),
                ("特点", "无添加盐和糖"),
            ],
            Kind::Snack,
        ),
        draft(
            "AB-BT-160",
            "安贝PPSU宽口奶瓶 160ml",
            "奶瓶",
            12_800,
            &[
                ("品牌", "安贝"),
                ("规格", "160ml 配S号奶嘴"),
                ("适用年龄", "0-3个月"),
                ("材质", "PPSU"),
                ("特点", "防胀气、耐高温"),
            ],
            Kind::Bottle,
        ),
        draft(
            "AB-BT-240",
            "安贝PPSU宽口奶瓶 240ml",
            "奶瓶",
            13_800,
            &[
                ("品牌", "安贝"),
                ("规格", "240ml 配M号奶嘴"),
                ("适用年龄", "3个月以上"),
                ("材质", "PPSU"),
                ("特点", "防胀气、带重力球吸管可换"),
            ],
            Kind::Bottle,
        ),
        draft(
            "AB-BT-G120",
            "安贝玻璃奶瓶 新生儿 120ml",
            "奶瓶",
            8_900,
            &[
                ("品牌", "安贝"),
                ("规格", "120ml"),
                ("适用年龄", "0-3个月"),
                ("材质", "高硼硅玻璃"),
            ],
            Kind::Bottle,
        ),
        draft(
            "AB-NP-S",
            "安贝宽口奶嘴 S号 2只装",
            "奶瓶",
            4_900,
            &[
                ("品牌", "安贝"),
                ("规格", "S号 2只装"),
                ("适用年龄", "0-3个月"),
                ("材质", "液态硅胶"),
            ],
            Kind::Nipple,
        ),
        draft(
            "AB-NP-M",
            "安贝宽口奶嘴 M号 2只装",
            "奶瓶",
            4_900,
            &[
                ("品牌", "安贝"),
                ("规格", "M号 2只装"),
                ("适用年龄", "3-6个月"),
                ("材质", "液态硅胶"),
            ],
            Kind::Nipple,
        ),
        draft(
            "AB-NP-L",
            "安贝宽口奶嘴 L号 2只装",
            "奶瓶",
            4_900,
            &[
                ("品牌", "安贝"),
                ("规格", "L号 2只装"),
                ("适用年龄", "6个月以上"),
                ("材质", "液态硅胶"),
            ],
            Kind::Nipple,
        ),
        draft(
            "AB-TW-BOWL",
            "安贝硅胶吸盘碗 带勺",
            "餐具",
            5_900,
            &[
                ("品牌", "安贝"),
                ("规格", "300ml"),
                ("适用年龄", "6个月以上"),
                ("材质", "食品级硅胶"),
            ],
            Kind::Tableware,
        ),
        draft(
            "AB-TW-SPN",
            "安贝软头辅食勺 2支装",
            "餐具",
            2_900,
            &[
                ("品牌", "安贝"),
                ("规格", "2支装"),
                ("适用年龄", "4个月以上"),
                ("材质", "PP+硅胶"),
            ],
            Kind::Tableware,
        ),
        draft(
            "AB-TW-CUP",
            "安贝重力球学饮杯 240ml",
            "餐具",
            8_900,
            &[
                ("品牌", "安贝"),
                ("规格", "240ml"),
                ("适用年龄", "6个月以上"),
                ("特点", "360°重力球、防呛"),
            ],
            Kind::Tableware,
        ),
        draft(
            "LQ-TY-TEETH",
            "乐趣香蕉牙胶",
            "玩具",
            3_900,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "3个月以上"),
                ("材质", "食品级硅胶"),
                ("特点", "可水煮消毒"),
            ],
            Kind::Toy { min_months: 3 },
        ),
        draft(
            "LQ-TY-RATTLE",
            "乐趣手摇铃套装 6件",
            "玩具",
            4_900,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "0个月以上"),
                ("材质", "PP"),
                ("特点", "抓握训练"),
            ],
            Kind::Toy { min_months: 0 },
        ),
        draft(
            "LQ-TY-BOOK",
            "乐趣黑白卡布书",
            "玩具",
            3_500,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "0个月以上"),
                ("材质", "纯棉"),
                ("特点", "视觉激发、可水洗"),
            ],
            Kind::Toy { min_months: 0 },
        ),
        draft(
            "LQ-TY-GYM",
            "乐趣脚踏钢琴健身架",
            "玩具",
            15_900,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "0-12个月"),
                ("特点", "音乐灯光、可拆卸"),
            ],
            Kind::Toy { min_months: 0 },
        ),
        draft(
            "LQ-TY-COMF",
            "乐趣小兔安抚巾",
            "玩具",
            4_500,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "0个月以上"),
                ("材质", "A类纯棉"),
                ("特点", "可入口级面料"),
            ],
            Kind::Toy { min_months: 0 },
        ),
        draft(
            "LQ-TY-BLOCK",
            "乐趣软积木 12块",
            "玩具",
            6_900,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "6个月以上"),
                ("材质", "食品级硅胶"),
                ("特点", "可啃咬、可捏响"),
            ],
            Kind::Toy { min_months: 6 },
        ),
        draft(
            "LQ-TY-BATH",
            "乐趣洗澡戏水小鸭 3只",
            "玩具",
            2_900,
            &[
                ("品牌", "乐趣"),
                ("适用年龄", "6个月以上"),
                ("材质", "PVC无BPA"),
            ],
            Kind::Toy { min_months: 6 },
        ),
    ]);
    out
}

/// Builds the catalogue. Products were listed long before the simulated window.
pub(crate) fn catalogue(ids: &mut IdSource, shop: ShopId, listed_from: Timestamp) -> Vec<Item> {
    drafts()
        .into_iter()
        .map(|d| {
            let created_at = listed_from.plus_millis(ids.range(0, 120) * crate::time::DAY);
            let attributes: BTreeMap<String, String> = d
                .attrs
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect();
            Item {
                product: Product {
                    id: ids.product(),
                    shop,
                    sku: d.sku,
                    name: d.name,
                    category: d.category.to_owned(),
                    price_fen: d.price_fen,
                    attributes,
                    created_at,
                },
                kind: d.kind,
            }
        })
        .collect()
}

/// A short, shopper-facing name: the product name without the pack details after the space.
pub(crate) fn short_name(p: &Product) -> &str {
    p.name.split(' ').next().unwrap_or(&p.name)
}

use super::*;

fn lint(text: &str) -> Vec<Finding> {
    lint_at(text, ShopPolicy::default(), 10)
}

/// One linter for all tests: building the lexicons is the slow part.
fn linter() -> &'static Linter {
    static LINTER: std::sync::OnceLock<Linter> = std::sync::OnceLock::new();
    LINTER.get_or_init(|| Linter::bundled().expect("bundled lexicons load"))
}

fn lint_at(text: &str, policy: ShopPolicy, now_hour: u8) -> Vec<Finding> {
    linter().lint(text, &LintContext { policy, now_hour })
}

fn rules(findings: &[Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.rule.as_str()).collect()
}

#[test]
fn a_clean_message_has_no_findings() {
    assert!(lint("亲，您好，我马上帮您查一下物流，请稍等哦").is_empty());
}

#[test]
fn forbidden_phrases_are_found_through_evasions_with_a_better_phrasing() {
    for text in [
        "没❗办❗法",
        "不 清 楚",
        "沒辦法",
        "办💢不💢到",
        "偶也不造啊",
        "你爱退不退",
    ] {
        let found = lint(text);
        assert!(
            found.iter().any(|f| f.label == QaLabel::ForbiddenPhrase),
            "{text}: {found:?}"
        );
    }
    let found = lint("这个不归我管");
    assert_eq!(rules(&found), ["forbidden.shirking"]);
    assert_eq!((found[0].start, found[0].end), (2, 6));
    assert!(found[0].suggestion.is_some());
}

#[test]
fn quoting_the_shopper_is_not_saying_it() {
    assert!(lint("您说的\"不清楚\"是指图片不清楚吗").is_empty());
    assert!(lint("您说的“保证明天到”我们没法承诺").is_empty());
}

fn policy(f: impl FnOnce(&mut ShopPolicy)) -> ShopPolicy {
    let mut p = ShopPolicy::default();
    f(&mut p);
    p
}

fn labels(text: &str, p: ShopPolicy, now_hour: u8) -> Vec<QaLabel> {
    let mut l: Vec<QaLabel> = lint_at(text, p, now_hour).iter().map(|f| f.label).collect();
    l.sort();
    l.dedup();
    l
}

const PROMISE: &[QaLabel] = &[QaLabel::UnauthorizedPromise];

#[test]
fn a_return_window_is_held_to_the_policy_in_any_unit() {
    let three = policy(|p| p.return_days = 3);
    assert_eq!(labels("签收后七日内可以申请无理由退货", three, 10), PROMISE);
    assert!(labels("签收后七日内可以申请无理由退货", ShopPolicy::default(), 10).is_empty());
    assert_eq!(
        labels("两个礼拜内都可以无理由退换", ShopPolicy::default(), 10),
        PROMISE
    );
    assert_eq!(
        labels("壹個月內都可以退換", ShopPolicy::default(), 10),
        PROMISE
    );
    assert_eq!(
        labels("退货没有期限的，什么时候都能退", ShopPolicy::default(), 10),
        PROMISE
    );
    // A warranty is not the return window.
    assert!(labels("这款支持全国联保一年，保修三年", three, 10).is_empty());
    let found = lint_at("放心买，15天无理由退换", ShopPolicy::default(), 10);
    assert_eq!(rules(&found), ["promise.return_window"]);
    assert_eq!(
        (found[0].start, found[0].end),
        (4, 7),
        "the span is the duration"
    );
}

#[test]
fn shipping_promises_depend_on_the_hour_and_the_cut_off() {
    let p = ShopPolicy::default();
    assert!(labels("现在拍下今天就发", p, 10).is_empty());
    assert_eq!(labels("现在拍下今天就发", p, 17), PROMISE);
    assert!(labels("尽量今天给您发出", p, 17).is_empty(), "hedged");
    assert!(labels("您这单明天上午发出", p, 17).is_empty());
    let noon = policy(|p| p.cutoff_hour = 12);
    assert_eq!(labels("3点前拍的今天都能发", noon, 9), PROMISE);
    assert!(labels("3点前拍的今天都能发", p, 9).is_empty());
    assert_eq!(labels("24小时内必发", p, 10), PROMISE);
    assert!(labels("24小时内必发", policy(|p| p.ship_within_hours = 24), 10).is_empty());
    assert!(labels("预售15天内发货", p, 10).is_empty());
}

#[test]
fn delivery_is_never_the_shops_to_promise_unless_hedged() {
    let p = ShopPolicy::default();
    for text in [
        "放心，隔天必达",
        "明天中午前一定到",
        "三天内肯定到货",
        "保證後天送到",
    ] {
        assert_eq!(labels(text, p, 10), PROMISE, "{text}");
    }
    for text in [
        "江浙沪一般隔天到",
        "预计还需要1-2天送达，具体以物流更新为准",
        "没法保证明天到",
        "工作时间是周一到周日",
        "退款一般2小时内到账",
    ] {
        assert!(labels(text, p, 10).is_empty(), "{text}");
    }
}

#[test]
fn compensation_is_summed_over_the_message_against_the_limit() {
    let text = "为了表示歉意，给您补偿30元无门槛优惠券，同时再返您20元现金";
    assert_eq!(
        labels(text, policy(|p| p.compensation_limit_yuan = 40), 10),
        PROMISE
    );
    assert!(labels(text, policy(|p| p.compensation_limit_yuan = 50), 10).is_empty());
    let p = ShopPolicy::default();
    assert!(
        labels("补个二十块钱给您，实在不好意思", p, 10).is_empty(),
        "equal to the limit"
    );
    assert_eq!(
        labels("改好评给你赔三十", p, 10),
        [QaLabel::UnauthorizedPromise, QaLabel::Sensitive]
    );
    assert_eq!(labels("补你一张毛爷爷", p, 10), PROMISE);
    for text in [
        "已经退款256元，原路返回到您的支付宝",
        "差价18元会原路退回的",
        "您之前的补偿30元是主管审批的，昨天已经到账了",
    ] {
        assert!(labels(text, p, 10).is_empty(), "{text}");
    }
}

#[test]
fn price_protection_and_absolute_guarantees() {
    let seven = policy(|p| p.price_protection_days = 7);
    assert_eq!(labels("本店支持15天价保", seven, 10), PROMISE);
    assert!(labels("本店支持15天价保", ShopPolicy::default(), 10).is_empty());
    assert_eq!(labels("保价到底", ShopPolicy::default(), 10), PROMISE);
    for text in [
        "絕對是正品",
        "百分百原装进口",
        "保☆证☆正☆品",
        "这药包治百病",
    ] {
        assert_eq!(labels(text, ShopPolicy::default(), 10), PROMISE, "{text}");
    }
    for text in [
        "这款是100%纯羊毛的",
        "没法保证百分百不过敏，每个人体质不一样",
        "保证金是平台收的",
        "质量问题我们一定负责到底",
    ] {
        assert!(labels(text, ShopPolicy::default(), 10).is_empty(), "{text}");
    }
}

#[test]
fn off_platform_contact_review_deals_and_abuse_are_sensitive() {
    let p = ShopPolicy::default();
    for text in [
        "加个🟢泡泡",
        "wei xin 搜 shop",
        "加我 V❤ 有惊喜",
        "好评返现8元",
        "你們東北人就愛鬧",
        "拉你进群，群里价格更低",
    ] {
        assert_eq!(labels(text, p, 10), [QaLabel::Sensitive], "{text}");
    }
    for text in [
        "微信扫码付款也可以哦",
        "这款QQ糖是草莓味的",
        "这款的绿色是薄荷绿，泡泡纱面料",
        "洗衣机滚筒里不要放太多衣服哦",
        "您说的\"可以加微信吗\"，不好意思哦，我们不能添加顾客的私人联系方式",
    ] {
        assert!(labels(text, p, 10).is_empty(), "{text}");
    }
}

#[test]
fn full_personal_identifiers_are_found_and_masked_or_shop_ones_are_not() {
    let p = ShopPolicy::default();
    let pd = [QaLabel::PersonalData];
    for text in [
        "收件人电话：180 2233 4455",
        "一五九 零零一二 三四五六",
        "手机号码+86-138-0013-8000",
        "身份證號碼：130104198911036 01X",
        "您的卡号 6225 8812 3456 7898",
        "地址：河南省郑州市金水区花园路39号B座1506",
        "寄往：湖南长沙岳麓区麓山南路932号 中南大学",
    ] {
        assert_eq!(labels(text, p, 10), pd, "{text}");
    }
    for text in [
        "收件电话：135****6801",
        "订单编号：４０１２３４５６７８９０１２３４５６７",
        "京东快递单号JDVA12345678901",
        "售后专线 400-600-8866",
        "退货寄到：上海市青浦区华新镇华志路1688号 售后仓",
        "您这个地址是郑州市金水区的对吧",
        "条码 6923450657713",
    ] {
        assert!(labels(text, p, 10).is_empty(), "{text}");
    }
    let found = lint_at("号码是 13812345678 对吗", p, 10);
    assert_eq!((found[0].start, found[0].end), (4, 15));
}

#[test]
fn a_handover_is_not_shirking_but_a_dismissal_still_is() {
    let p = ShopPolicy::default();
    assert!(labels("这个补偿我没有权限，帮您提交给主管了", p, 10).is_empty());
    assert_eq!(
        labels("我哪知道，我去问一下", p, 10),
        [QaLabel::ForbiddenPhrase]
    );
}

proptest::proptest! {
    #[test]
    fn any_text_lints_without_panicking_and_spans_stay_inside_it(text in "\\PC{0,80}", hour in 0u8..24) {
        let linter = linter();
        let ctx = LintContext { policy: ShopPolicy::default(), now_hour: hour };
        let chars = text.chars().count();
        for f in linter.lint(&text, &ctx) {
            proptest::prop_assert!(f.start < f.end && f.end <= chars, "{f:?} in {text:?}");
        }
    }

    #[test]
    fn mixed_script_numbers_and_emoji_lint_without_panicking(
        text in "[0-9０-９一二三四五六七八九十零幺 \\-+*xX号路区市省元天小时微信保证💢❗☆\"“”，。]{0,60}",
    ) {
        let linter = linter();
        let ctx = LintContext { policy: ShopPolicy::default(), now_hour: 20 };
        let chars = text.chars().count();
        for f in linter.lint(&text, &ctx) {
            proptest::prop_assert!(f.start < f.end && f.end <= chars, "{f:?} in {text:?}");
        }
    }
}

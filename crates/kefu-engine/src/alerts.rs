//! Supervisor alerts, decided: when complaints surge against previous weeks, when SLA breaches
//! cluster, when a shopper's emotion escalates, when an open alert has missed its targets, and
//! what the DingTalk and WeCom group robots are sent. Time and counts come in as arguments;
//! the server reads and writes (`kefu-server/src/alerts/`).
//!
//! **Complaint surge.** Complaints are counted per clock hour (shop time; UTC+8 has whole
//! hours, so the buckets are the UTC hours): shopper messages with a `complaint` sensitive
//! word, and tickets opened. The running count of the current hour is compared with the
//! baseline, the mean count of the same weekday and hour in each of the previous
//! [`BASELINE_WEEKS`] weeks (weeks without data count as zero). The reference is the baseline
//! or the shop's floor, whichever is higher, so a quiet shop with no history is not alarmed by
//! its first two complaints: at `count ≥ 1.5 × reference` the alert is yellow (+50 %), at
//! `count ≥ 2 × reference` red (+100 %).
//!
//! **Negative words.** The share of negative emotion in a conversation's shopper text is the
//! characters of negative emotion words (the emotion lexicon's anger, anxiety and
//! disappointment terms, normalised) over the characters of the shopper's normalised text,
//! over all of the conversation's shopper messages so far.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use kefu_domain::alert::{Alert, AlertKind, AlertState, Overdue, Severity};
use kefu_domain::{RaiseReason, Timestamp};
use sha2::Sha256;

pub const HOUR_MS: i64 = 3_600_000;
pub const WEEK_MS: i64 = 7 * 24 * HOUR_MS;
/// How many previous weeks make the complaint baseline.
pub const BASELINE_WEEKS: usize = 4;

/// How fast an alert must move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    /// Raised → delivered (3 minutes).
    pub deliver_ms: i64,
    /// Raised → resolved (15 minutes).
    pub resolve_ms: i64,
}

impl Default for Targets {
    fn default() -> Self {
        Targets {
            deliver_ms: 180_000,
            resolve_ms: 900_000,
        }
    }
}

/// The target an open alert has missed by `now` and that was not escalated yet; delivery
/// first.
pub fn overdue(alert: &Alert, targets: &Targets, now: Timestamp) -> Option<Overdue> {
    if !alert.state.is_open() {
        return None;
    }
    let late = |ms: i64| now >= alert.raised_at.plus_millis(ms);
    if alert.state == AlertState::Raised
        && alert.delivery_escalated_at.is_none()
        && late(targets.deliver_ms)
    {
        return Some(Overdue::Delivery);
    }
    if alert.resolution_escalated_at.is_none() && late(targets.resolve_ms) {
        return Some(Overdue::Resolution);
    }
    None
}

/// When an open alert next misses a target, for the timer; `None` once nothing is left to
/// escalate.
pub fn next_due(alert: &Alert, targets: &Targets) -> Option<Timestamp> {
    if !alert.state.is_open() {
        return None;
    }
    let delivery = (alert.state == AlertState::Raised && alert.delivery_escalated_at.is_none())
        .then(|| alert.raised_at.plus_millis(targets.deliver_ms));
    let resolution = alert
        .resolution_escalated_at
        .is_none()
        .then(|| alert.raised_at.plus_millis(targets.resolve_ms));
    [delivery, resolution].into_iter().flatten().min()
}

/// The start of the clock hour `at` falls in.
pub fn hour_start(at: Timestamp) -> Timestamp {
    Timestamp::from_millis(at.as_millis().div_euclid(HOUR_MS) * HOUR_MS)
}

/// The same weekday and hour in each of the previous [`BASELINE_WEEKS`] weeks, newest first.
pub fn baseline_hours(hour: Timestamp) -> [Timestamp; BASELINE_WEEKS] {
    let hour = hour_start(hour);
    std::array::from_fn(|k| hour.plus_millis(-WEEK_MS * (k as i64 + 1)))
}

/// The current hour's complaints against previous weeks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Surge {
    pub count: u64,
    /// Mean of the same hour in previous weeks.
    pub baseline: f64,
    /// The baseline or the floor, whichever is higher: what the count is compared with.
    pub reference: f64,
    /// Yellow at +50 %, red at +100 %.
    pub severity: Option<Severity>,
}

/// Compares `count` with the mean of `previous` (one count per previous week), never with
/// less than `floor`.
pub fn complaint_surge(count: u64, previous: &[u64], floor: u64) -> Surge {
    let baseline = if previous.is_empty() {
        0.0
    } else {
        previous.iter().sum::<u64>() as f64 / previous.len() as f64
    };
    let reference = baseline.max(floor as f64).max(1.0);
    let n = count as f64;
    let severity = if n >= 2.0 * reference {
        Some(Severity::Red)
    } else if n >= 1.5 * reference {
        Some(Severity::Yellow)
    } else {
        None
    };
    Surge {
        count,
        baseline,
        reference,
        severity,
    }
}

/// A cluster of SLA breaches in a shop: how many fell in the `window_ms` up to `now`, and the
/// severity — yellow from `min`, red from twice that. `None` below `min`.
pub fn breach_cluster(
    breaches: &[Timestamp],
    now: Timestamp,
    window_ms: i64,
    min: usize,
) -> Option<(usize, Severity)> {
    let from = now.plus_millis(-window_ms);
    let n = breaches.iter().filter(|t| **t > from && **t <= now).count();
    let min = min.max(1);
    if n >= 2 * min {
        Some((n, Severity::Red))
    } else if n >= min {
        Some((n, Severity::Yellow))
    } else {
        None
    }
}

/// One shopper message as the negative-word share reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ShopperText {
    /// Characters of the normalised text.
    pub chars: u32,
    /// Characters of the negative emotion words found in it (normalised terms).
    pub negative_chars: u32,
}

/// Negative-word characters over shopper-text characters, in permille (0 without text).
pub fn negative_share_permille(texts: &[ShopperText]) -> u32 {
    let chars: u64 = texts.iter().map(|t| u64::from(t.chars)).sum();
    if chars == 0 {
        return 0;
    }
    let negative: u64 = texts
        .iter()
        .map(|t| u64::from(t.negative_chars.min(t.chars)))
        .sum();
    (negative * 1000 / chars) as u32
}

/// Whether the shopper's emotion escalated: a strong negative turn, or negative words above
/// `threshold_permille` of their text (strictly above: 3 % is not yet "above 3 %").
pub fn emotion_escalation(
    share_permille: u32,
    threshold_permille: u32,
    strong_negative_turn: bool,
) -> Option<RaiseReason> {
    if strong_negative_turn {
        Some(RaiseReason::StrongNegativeTurn)
    } else if share_permille > threshold_permille {
        Some(RaiseReason::NegativeWords)
    } else {
        None
    }
}

/// The kind's name in Chinese, for people.
pub fn kind_label(kind: AlertKind) -> &'static str {
    match kind {
        AlertKind::ComplaintSurge => "投诉量激增",
        AlertKind::RiskWords => "风险词",
        AlertKind::SlaCluster => "超时集中",
        AlertKind::AgentLine => "客服红黄线",
        AlertKind::Emotion => "情绪升级",
    }
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Yellow => "黄色",
        Severity::Red => "红色",
    }
}

fn state_label(s: AlertState) -> &'static str {
    match s {
        AlertState::Raised => "待送达",
        AlertState::Delivered => "已送达",
        AlertState::Acknowledged => "已确认",
        AlertState::Resolved => "已解决",
    }
}

/// The robot message for an alert: its title and Markdown text. Line breaks in the
/// particulars are kept as separate lines.
pub fn markdown(alert: &Alert, shop_name: &str, escalated: bool) -> (String, String) {
    let mark = if escalated { "【升级】" } else { "" };
    let title = format!(
        "{mark}[{}告警] {}",
        severity_label(alert.severity),
        alert.title
    );
    let mut text = format!("### {title}\n\n");
    let rows = [
        ("店铺", shop_name.to_owned()),
        ("类型", kind_label(alert.kind).to_owned()),
        ("状态", state_label(alert.state).to_owned()),
        ("次数", alert.count.to_string()),
        ("首次", alert.raised_at.to_shop_minute()),
        ("最近", alert.last_at.to_shop_minute()),
    ];
    for (k, v) in rows {
        text.push_str(&format!("- {k}：{v}\n"));
    }
    if !alert.detail.is_empty() {
        text.push('\n');
        for line in alert.detail.lines() {
            text.push_str(&format!("> {line}\n"));
        }
    }
    (title, text)
}

/// A DingTalk group robot's Markdown message.
pub fn dingtalk_body(title: &str, text: &str) -> String {
    serde_json::json!({
        "msgtype": "markdown",
        "markdown": { "title": title, "text": text },
    })
    .to_string()
}

/// A WeCom (企业微信) group robot's Markdown message.
pub fn wecom_body(text: &str) -> String {
    serde_json::json!({
        "msgtype": "markdown",
        "markdown": { "content": text },
    })
    .to_string()
}

/// DingTalk's robot signature: base64(HMAC-SHA256(key = secret, "{timestamp}\n{secret}")).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The DingTalk robot URL to post to: with a secret, `timestamp` and the URL-encoded `sign`
/// appended as query parameters.
pub fn dingtalk_url(url: &str, secret: Option<&str>, timestamp_ms: i64) -> String {
    match secret.filter(|s| !s.is_empty()) {
        None => url.to_owned(),
        Some(secret) => {
            let joiner = if url.contains('?') { '&' } else { '?' };
            format!(
                "{url}{joiner}timestamp={timestamp_ms}&sign={}",
                urlencode(&dingtalk_sign(secret, timestamp_ms))
            )
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The longest webhook URL accepted.
pub const MAX_URL_CHARS: usize = 1_000;

/// A robot webhook URL as a person typed it: trimmed; `http://` or `https://` with a host; no
/// spaces, control characters or fragment. The reason when it is not one.
pub fn parse_webhook_url(s: &str) -> Result<String, &'static str> {
    let s = s.trim();
    if s.chars().count() > MAX_URL_CHARS {
        return Err("the URL is too long");
    }
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or("the URL must start with http:// or https://")?;
    if s.chars().any(|c| c.is_whitespace() || c.is_control()) || s.contains('#') {
        return Err("the URL may not contain spaces, control characters or a #fragment");
    }
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    let name = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if name.is_empty() || name.starts_with(':') {
        return Err("the URL has no host");
    }
    Ok(s.to_owned())
}

/// The host a webhook URL posts to, lower-cased, without user info or port (`None` when the
/// URL has none): what the server's allow-list is checked against.
pub fn webhook_host(url: &str) -> Option<String> {
    let rest = url
        .trim()
        .strip_prefix("https://")
        .or_else(|| url.trim().strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        host_port.split(':').next()?
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether `url` may be posted to under `allowed` hosts (`*` allows any).
pub fn webhook_allowed(url: &str, allowed: &[String]) -> bool {
    webhook_host(url).is_some_and(|host| {
        allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(&host))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kefu_domain::alert::{Alert, Trouble};
    use kefu_domain::{AgentId, ShopId};
    use proptest::prelude::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn alert(severity: Severity) -> Alert {
        Alert::raise(
            ShopId::new(),
            Trouble {
                kind: AlertKind::RiskWords,
                subject: "c".into(),
                severity,
                title: "顾客提到 12315".into(),
                detail: "再不退款就打12315\n还要曝光".into(),
                conversation: None,
                agent: None,
            },
            t(1_700_000_000_000),
        )
        .0
    }

    #[test]
    fn complaints_compare_with_the_same_hour_of_previous_weeks_never_below_the_floor() {
        // Baseline 4: +50 % is 6, +100 % is 8.
        assert_eq!(complaint_surge(5, &[4, 4, 4, 4], 3).severity, None);
        assert_eq!(
            complaint_surge(6, &[4, 4, 4, 4], 3).severity,
            Some(Severity::Yellow)
        );
        assert_eq!(
            complaint_surge(7, &[2, 6, 4, 4], 3).severity,
            Some(Severity::Yellow)
        );
        assert_eq!(
            complaint_surge(8, &[4, 4, 4, 4], 3).severity,
            Some(Severity::Red)
        );
        // No history: the floor (3) is the reference, so 4 is quiet, 5 yellow, 6 red.
        let quiet = complaint_surge(4, &[0, 0, 0, 0], 3);
        assert_eq!(
            (quiet.baseline, quiet.reference, quiet.severity),
            (0.0, 3.0, None)
        );
        assert_eq!(complaint_surge(5, &[], 3).severity, Some(Severity::Yellow));
        assert_eq!(complaint_surge(6, &[], 3).severity, Some(Severity::Red));
        // A floor of zero still never alarms on nothing.
        assert_eq!(complaint_surge(0, &[], 0).severity, None);
        assert_eq!(complaint_surge(1, &[], 0).severity, None);
        assert_eq!(complaint_surge(2, &[], 0).severity, Some(Severity::Red));
    }

    #[test]
    fn the_baseline_hours_are_the_same_weekday_and_hour() {
        let now = t(1_700_000_123_456);
        let hour = hour_start(now);
        assert_eq!(hour.as_millis() % HOUR_MS, 0);
        assert!(hour <= now && now.as_millis() - hour.as_millis() < HOUR_MS);
        let weeks = baseline_hours(now);
        assert_eq!(weeks[0].as_millis(), hour.as_millis() - WEEK_MS);
        assert_eq!(weeks[3].as_millis(), hour.as_millis() - 4 * WEEK_MS);
        assert_eq!(weeks[2].shop_hour(), now.shop_hour());
    }

    #[test]
    fn breaches_cluster_within_the_window() {
        let minute = 60_000;
        let at = |m: i64| t(m * minute);
        let breaches = [at(0), at(3), at(7), at(9), at(10)];
        assert_eq!(
            breach_cluster(&breaches, at(10), 10 * minute, 3),
            Some((4, Severity::Yellow))
        );
        assert_eq!(
            breach_cluster(&breaches, at(16), 10 * minute, 3),
            Some((3, Severity::Yellow))
        );
        assert_eq!(breach_cluster(&breaches, at(18), 10 * minute, 3), None);
        assert_eq!(
            breach_cluster(&breaches, at(10), 11 * minute, 2),
            Some((5, Severity::Red))
        );
    }

    #[test]
    fn negative_share_and_escalation() {
        let texts = [
            ShopperText {
                chars: 20,
                negative_chars: 0,
            },
            ShopperText {
                chars: 10,
                negative_chars: 2,
            },
        ];
        assert_eq!(negative_share_permille(&texts), 66);
        assert_eq!(negative_share_permille(&[]), 0);
        assert_eq!(
            emotion_escalation(30, 30, false),
            None,
            "3 % is not above 3 %"
        );
        assert_eq!(
            emotion_escalation(31, 30, false),
            Some(RaiseReason::NegativeWords)
        );
        assert_eq!(
            emotion_escalation(0, 30, true),
            Some(RaiseReason::StrongNegativeTurn)
        );
    }

    #[test]
    fn targets_escalate_delivery_then_resolution_once_each() {
        let targets = Targets::default();
        let mut a = alert(Severity::Yellow);
        let raised = a.raised_at;
        assert_eq!(next_due(&a, &targets), Some(raised.plus_millis(180_000)));
        assert_eq!(overdue(&a, &targets, raised.plus_millis(179_999)), None);
        assert_eq!(
            overdue(&a, &targets, raised.plus_millis(180_000)),
            Some(Overdue::Delivery)
        );
        a.escalate(Overdue::Delivery, raised.plus_millis(180_000));
        assert_eq!(next_due(&a, &targets), Some(raised.plus_millis(900_000)));
        assert_eq!(overdue(&a, &targets, raised.plus_millis(200_000)), None);
        // Delivered late: only the resolution target is left.
        let mut b = alert(Severity::Yellow);
        b.delivered(kefu_domain::alert::Sink::Dashboard, raised.plus_millis(1));
        assert_eq!(
            overdue(&b, &targets, raised.plus_millis(900_000)),
            Some(Overdue::Resolution)
        );
        b.escalate(Overdue::Resolution, raised.plus_millis(900_000));
        assert_eq!(next_due(&b, &targets), None);
        let mut c = alert(Severity::Yellow);
        c.resolve(AgentId::new(), "", raised.plus_millis(10))
            .expect("open");
        assert_eq!(overdue(&c, &targets, raised.plus_millis(10_000_000)), None);
        assert_eq!(next_due(&c, &targets), None);
    }

    #[test]
    fn robot_payloads_and_the_dingtalk_signature() {
        let a = alert(Severity::Red);
        let (title, text) = markdown(&a, "母婴旗舰店", false);
        assert_eq!(title, "[红色告警] 顾客提到 12315");
        assert!(
            text.starts_with(
                "### [红色告警] 顾客提到 12315\n\n- 店铺：母婴旗舰店\n- 类型：风险词\n"
            ),
            "{text}"
        );
        assert!(
            text.ends_with("> 再不退款就打12315\n> 还要曝光\n"),
            "{text}"
        );
        let body: serde_json::Value =
            serde_json::from_str(&dingtalk_body(&title, &text)).expect("json");
        assert_eq!(body["msgtype"], "markdown");
        assert_eq!(body["markdown"]["title"], title.as_str());
        assert_eq!(body["markdown"]["text"], text.as_str());
        let body: serde_json::Value = serde_json::from_str(&wecom_body(&text)).expect("json");
        assert_eq!(
            body,
            serde_json::json!({"msgtype": "markdown", "markdown": {"content": text}})
        );

        // DingTalk's documented example: secret SEC…, the signature of "{timestamp}\n{secret}".
        let sign = dingtalk_sign("SECabc", 1_577_262_236_757);
        let raw = base64::engine::general_purpose::STANDARD
            .decode(&sign)
            .expect("base64");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"SECabc").expect("key");
        mac.update(b"1577262236757\nSECabc");
        mac.verify_slice(&raw)
            .expect("the HMAC of timestamp and secret");
        let url = dingtalk_url(
            "https://oapi.dingtalk.com/robot/send?access_token=x",
            Some("SECabc"),
            1_577_262_236_757,
        );
        assert_eq!(
            url,
            format!(
                "https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1577262236757&sign={}",
                urlencode(&sign)
            )
        );
        assert_eq!(dingtalk_url("http://h/x", None, 1), "http://h/x");
        assert_eq!(
            dingtalk_url("http://h/x", Some("s"), 5)
                .split_once('?')
                .map(|(a, _)| a),
            Some("http://h/x")
        );
        assert_eq!(urlencode("a+b/c=="), "a%2Bb%2Fc%3D%3D");
    }

    #[test]
    fn webhook_urls_are_checked() {
        assert_eq!(
            parse_webhook_url(" https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc "),
            Ok("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc".to_owned())
        );
        assert!(parse_webhook_url("http://127.0.0.1:8080/hook").is_ok());
        let robots = [
            "oapi.dingtalk.com".to_owned(),
            "qyapi.weixin.qq.com".to_owned(),
        ];
        assert!(webhook_allowed(
            "https://OAPI.dingtalk.com/robot/send?access_token=t",
            &robots
        ));
        assert!(!webhook_allowed("http://127.0.0.1:8080/hook", &robots));
        assert!(!webhook_allowed(
            "https://oapi.dingtalk.com@169.254.169.254/x",
            &robots
        ));
        assert!(!webhook_allowed("http://[::1]:80/x", &robots));
        assert!(webhook_allowed("http://[::1]:80/x", &["::1".to_owned()]));
        assert!(webhook_allowed("http://10.0.0.5/x", &["*".to_owned()]));
        for bad in [
            "",
            "ftp://x/y",
            "https://",
            "https:///path",
            "https://a b/",
            "https://h/#x",
            "https://:80/",
        ] {
            assert!(parse_webhook_url(bad).is_err(), "{bad}");
        }
    }

    fn urldecode(s: &str) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        Some(out)
    }

    proptest! {
        #[test]
        fn the_signed_url_carries_a_verifiable_signature(secret in "[ -~]{1,40}", ts in 0i64..4_000_000_000_000) {
            let url = dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=t", Some(&secret), ts);
            let query = url.split_once('?').map(|(_, q)| q).unwrap_or_default();
            let params: Vec<(&str, &str)> = query.split('&').filter_map(|p| p.split_once('=')).collect();
            prop_assert_eq!(params[0], ("access_token", "t"));
            let stamp = ts.to_string();
            prop_assert_eq!(params[1], ("timestamp", stamp.as_str()));
            prop_assert_eq!(params[2].0, "sign");
            let decoded = urldecode(params[2].1).expect("percent-encoding");
            let raw = base64::engine::general_purpose::STANDARD.decode(decoded).expect("base64");
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
            mac.update(format!("{ts}\n{secret}").as_bytes());
            prop_assert!(mac.verify_slice(&raw).is_ok());
        }

        #[test]
        fn urlencode_round_trips(s in "\\PC{0,40}") {
            let encoded = urlencode(&s);
            prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b)));
            prop_assert_eq!(urldecode(&encoded), Some(s.into_bytes()));
        }

        #[test]
        fn a_parsed_url_parses_to_itself(s in "\\PC{0,60}") {
            if let Ok(url) = parse_webhook_url(&s) {
                prop_assert_eq!(parse_webhook_url(&url), Ok(url.clone()));
                prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
            }
        }

        #[test]
        fn more_complaints_never_lower_the_severity(count in 0u64..200, extra in 0u64..50, previous in proptest::collection::vec(0u64..60, 0..5), floor in 0u64..10) {
            let a = complaint_surge(count, &previous, floor).severity;
            let b = complaint_surge(count + extra, &previous, floor).severity;
            prop_assert!(b >= a);
        }

        #[test]
        fn the_share_is_a_permille(texts in proptest::collection::vec((0u32..500, 0u32..500), 0..10)) {
            let texts: Vec<ShopperText> = texts.into_iter().map(|(chars, negative_chars)| ShopperText { chars, negative_chars }).collect();
            prop_assert!(negative_share_permille(&texts) <= 1000);
        }
    }
}

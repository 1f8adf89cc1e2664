//! A shop's alert rules and where alerts go: the DingTalk and WeCom group robots (URL and
//! secret), the emotion threshold, the complaint floor, the SLA cluster and the targets.
//! Stored as the `alerts` settings section; missing fields take their defaults. Secrets (the
//! DingTalk signing secret, the WeCom key) are never read back, only whether they are set.

use kefu_engine::alerts::{Targets, parse_webhook_url};
use kefu_store::{Store, StoreResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The settings section alerts are stored under.
pub const ALERT_SETTINGS: &str = "alerts";

/// A group robot: where to post, and its secret (DingTalk: the signing secret; WeCom: the
/// `key`). An empty URL turns the robot off.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Robot {
    pub url: String,
    pub secret: String,
}

/// Query parameters of a robot URL that are credentials: anyone holding DingTalk's
/// `access_token` or WeCom's `key` can post to the group.
const URL_CREDENTIALS: [&str; 2] = ["access_token", "key"];

/// The URL with its credential values replaced by `***`, for reading back and logs.
pub fn masked_url(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let parts: Vec<String> = query
        .split('&')
        .map(|part| match part.split_once('=') {
            Some((name, value)) if URL_CREDENTIALS.contains(&name) && !value.is_empty() => {
                format!("{name}=***")
            }
            _ => part.to_owned(),
        })
        .collect();
    format!("{base}?{}", parts.join("&"))
}

impl std::fmt::Debug for Robot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Robot")
            .field("url", &masked_url(&self.url))
            .field(
                "secret",
                &if self.secret.is_empty() {
                    ""
                } else {
                    "<redacted>"
                },
            )
            .finish()
    }
}

impl Robot {
    pub fn enabled(&self) -> bool {
        !self.url.is_empty()
    }
}

/// As stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertSettings {
    pub dingtalk: Robot,
    pub wecom: Robot,
    /// Negative-word share of the shopper's text above which the conversation escalates
    /// (permille; 30 = 3 %).
    pub negative_share_permille: u32,
    /// The least complaints an hour is compared with, however quiet previous weeks were.
    pub complaint_floor: u32,
    /// This many SLA breaches in the shop within `cluster_minutes` raise an alert (twice as
    /// many: red).
    pub cluster_breaches: u32,
    pub cluster_minutes: u32,
    /// Raised → delivered, and raised → resolved, before the alert escalates.
    pub deliver_target_s: u32,
    pub resolve_target_s: u32,
}

impl Default for AlertSettings {
    fn default() -> Self {
        let targets = Targets::default();
        AlertSettings {
            dingtalk: Robot::default(),
            wecom: Robot::default(),
            negative_share_permille: 30,
            complaint_floor: 3,
            cluster_breaches: 3,
            cluster_minutes: 10,
            deliver_target_s: (targets.deliver_ms / 1000) as u32,
            resolve_target_s: (targets.resolve_ms / 1000) as u32,
        }
    }
}

impl AlertSettings {
    pub fn targets(&self) -> Targets {
        Targets {
            deliver_ms: i64::from(self.deliver_target_s) * 1000,
            resolve_ms: i64::from(self.resolve_target_s) * 1000,
        }
    }

    /// As read back: secrets replaced by whether they are set.
    pub fn view(&self) -> AlertSettingsView {
        let robot = |r: &Robot| RobotView {
            url: masked_url(&r.url),
            secret_set: !r.secret.is_empty(),
        };
        AlertSettingsView {
            dingtalk: robot(&self.dingtalk),
            wecom: robot(&self.wecom),
            negative_share_permille: self.negative_share_permille,
            complaint_floor: self.complaint_floor,
            cluster_breaches: self.cluster_breaches,
            cluster_minutes: self.cluster_minutes,
            deliver_target_s: self.deliver_target_s,
            resolve_target_s: self.resolve_target_s,
        }
    }

    /// The stored settings with a change applied, checked; the field and why when it is not
    /// valid. A robot's secret left out is kept, an empty one removed.
    pub fn with(&self, change: AlertSettingsChange) -> Result<AlertSettings, (String, String)> {
        let err = |field: &str, message: &str| Err((field.to_owned(), message.to_owned()));
        let robot = |name: &str, old: &Robot, new: Option<RobotChange>| match new {
            None => Ok(old.clone()),
            Some(new) => {
                let url = match new.url.trim() {
                    "" => String::new(),
                    // The masked URL read back and sent again unchanged keeps the stored one.
                    url if !old.url.is_empty() && url == masked_url(&old.url) => old.url.clone(),
                    url => {
                        parse_webhook_url(url).map_err(|m| (format!("{name}.url"), m.to_owned()))?
                    }
                };
                let secret = match new.secret {
                    None => old.secret.clone(),
                    Some(s) => s.trim().to_owned(),
                };
                if secret.chars().count() > 200 || secret.chars().any(char::is_control) {
                    return Err((
                        format!("{name}.secret"),
                        "at most 200 characters, no control characters".to_owned(),
                    ));
                }
                Ok(Robot { url, secret })
            }
        };
        let next = AlertSettings {
            dingtalk: robot("dingtalk", &self.dingtalk, change.dingtalk)?,
            wecom: robot("wecom", &self.wecom, change.wecom)?,
            negative_share_permille: change
                .negative_share_permille
                .unwrap_or(self.negative_share_permille),
            complaint_floor: change.complaint_floor.unwrap_or(self.complaint_floor),
            cluster_breaches: change.cluster_breaches.unwrap_or(self.cluster_breaches),
            cluster_minutes: change.cluster_minutes.unwrap_or(self.cluster_minutes),
            deliver_target_s: change.deliver_target_s.unwrap_or(self.deliver_target_s),
            resolve_target_s: change.resolve_target_s.unwrap_or(self.resolve_target_s),
        };
        if next.negative_share_permille == 0 || next.negative_share_permille > 1000 {
            return err("negative_share_permille", "from 1 to 1000 (permille)");
        }
        if next.complaint_floor == 0 || next.complaint_floor > 10_000 {
            return err("complaint_floor", "from 1 to 10000");
        }
        if next.cluster_breaches == 0 || next.cluster_breaches > 1_000 {
            return err("cluster_breaches", "from 1 to 1000");
        }
        if next.cluster_minutes == 0 || next.cluster_minutes > 1_440 {
            return err("cluster_minutes", "from 1 to 1440");
        }
        if next.deliver_target_s == 0 || next.deliver_target_s > 86_400 {
            return err("deliver_target_s", "seconds from 1 to 86400");
        }
        if next.resolve_target_s < next.deliver_target_s || next.resolve_target_s > 86_400 {
            return err(
                "resolve_target_s",
                "seconds up to 86400, no shorter than deliver_target_s",
            );
        }
        Ok(next)
    }
}

/// A robot as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RobotView {
    pub url: String,
    /// Whether a secret (DingTalk signing secret, WeCom key) is stored; it is never sent back.
    pub secret_set: bool,
}

/// The settings as read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AlertSettingsView {
    pub dingtalk: RobotView,
    pub wecom: RobotView,
    pub negative_share_permille: u32,
    pub complaint_floor: u32,
    pub cluster_breaches: u32,
    pub cluster_minutes: u32,
    pub deliver_target_s: u32,
    pub resolve_target_s: u32,
}

/// A robot's new settings: the URL (empty: off) and, optionally, its secret (left out: kept;
/// empty: removed).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RobotChange {
    #[serde(default)]
    pub url: String,
    pub secret: Option<String>,
}

/// `PUT /settings/alerts`: what to change; fields left out keep their values.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsChange {
    pub dingtalk: Option<RobotChange>,
    pub wecom: Option<RobotChange>,
    pub negative_share_permille: Option<u32>,
    pub complaint_floor: Option<u32>,
    pub cluster_breaches: Option<u32>,
    pub cluster_minutes: Option<u32>,
    pub deliver_target_s: Option<u32>,
    pub resolve_target_s: Option<u32>,
}

/// The shop's stored settings; unreadable ones fall back to the defaults, logged, rather than
/// silencing alerts.
pub async fn load(store: &dyn Store, shop: kefu_domain::ShopId) -> StoreResult<AlertSettings> {
    Ok(match store.shop_setting(shop, ALERT_SETTINGS).await? {
        Some(body) => serde_json::from_str(&body).unwrap_or_else(|e| {
            tracing::warn!(%shop, error = %e, "stored alert settings unreadable; using defaults");
            AlertSettings::default()
        }),
        None => AlertSettings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(json: &str) -> AlertSettingsChange {
        serde_json::from_str(json).expect("shape")
    }

    #[test]
    fn secrets_are_kept_unless_replaced_and_never_read_back() {
        let s = AlertSettings::default()
            .with(change(
                r#"{"dingtalk": {"url": " https://oapi.dingtalk.com/robot/send?access_token=t ", "secret": "SECxyz"}}"#,
            ))
            .expect("valid");
        assert_eq!(
            s.dingtalk.url,
            "https://oapi.dingtalk.com/robot/send?access_token=t"
        );
        let view = serde_json::to_string(&s.view()).expect("json");
        assert!(!view.contains("SECxyz"), "{view}");
        assert!(view.contains(r#""secret_set":true"#), "{view}");
        assert!(
            !view.contains("access_token=t"),
            "the URL's token is masked: {view}"
        );
        assert!(view.contains("access_token=***"), "{view}");
        let resent = s
            .with(change(
                r#"{"dingtalk": {"url": "https://oapi.dingtalk.com/robot/send?access_token=***"}}"#,
            ))
            .expect("valid");
        assert_eq!(
            resent.dingtalk.url, s.dingtalk.url,
            "the masked URL sent back keeps it"
        );
        assert!(!format!("{s:?}").contains("SECxyz"));
        let kept = s
            .with(change(
                r#"{"dingtalk": {"url": "https://x.example/robot"}}"#,
            ))
            .expect("valid");
        assert_eq!(kept.dingtalk.secret, "SECxyz");
        let cleared = kept
            .with(change(r#"{"dingtalk": {"url": "", "secret": ""}}"#))
            .expect("valid");
        assert_eq!(cleared.dingtalk, Robot::default());
        assert!(!cleared.dingtalk.enabled());
    }

    #[test]
    fn bad_values_name_their_field() {
        let bad = |json: &str| {
            AlertSettings::default()
                .with(change(json))
                .expect_err("invalid")
                .0
        };
        assert_eq!(
            bad(r#"{"wecom": {"url": "qyapi.weixin.qq.com"}}"#),
            "wecom.url"
        );
        assert_eq!(
            bad(r#"{"negative_share_permille": 0}"#),
            "negative_share_permille"
        );
        assert_eq!(bad(r#"{"cluster_minutes": 0}"#), "cluster_minutes");
        assert_eq!(
            bad(r#"{"deliver_target_s": 600, "resolve_target_s": 300}"#),
            "resolve_target_s"
        );
        assert_eq!(
            bad(r#"{"dingtalk": {"url": "https://x.y/z", "secret": "a\u0001"}}"#),
            "dingtalk.secret"
        );
        assert!(serde_json::from_str::<AlertSettingsChange>(r#"{"other": 1}"#).is_err());
    }
}

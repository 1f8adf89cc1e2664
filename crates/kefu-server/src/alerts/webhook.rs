//! Alerts out to the shop's group robots: DingTalk (Markdown, signed with the shop's secret)
//! and WeCom (Markdown, the robot's key in the URL). One HTTP POST per robot with a timeout,
//! retried on failure; a robot succeeded when it answered 2xx with no error code.

use super::settings::{AlertSettings, Robot};
use kefu_domain::alert::{Alert, Sink};
use kefu_engine::alerts::{dingtalk_body, dingtalk_url, markdown, urlencode, wecom_body};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

/// How long one POST may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);
/// Tries per robot and message.
pub const ATTEMPTS: u32 = 3;
/// The pause before the second try; doubled before each later one.
const BACKOFF: Duration = Duration::from_millis(300);

/// One message for one robot.
#[derive(Debug, Clone)]
pub struct Message {
    pub sink: Sink,
    pub title: String,
    pub text: String,
}

/// What a robot made of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Outcome {
    /// dingtalk | wecom
    #[schema(value_type = String)]
    pub sink: Sink,
    pub ok: bool,
    pub attempts: u32,
    /// The last HTTP status, if a response came.
    pub status: Option<u16>,
    /// Why it failed.
    pub error: Option<String>,
}

/// The messages an alert makes for the shop's configured robots.
pub fn messages(
    settings: &AlertSettings,
    alert: &Alert,
    shop_name: &str,
    escalated: bool,
) -> Vec<Message> {
    let (title, text) = markdown(alert, shop_name, escalated);
    robots(settings)
        .map(|(sink, _)| Message {
            sink,
            title: title.clone(),
            text: text.clone(),
        })
        .collect()
}

/// The configured robots.
pub fn robots(settings: &AlertSettings) -> impl Iterator<Item = (Sink, &Robot)> {
    [
        (Sink::Dingtalk, &settings.dingtalk),
        (Sink::Wecom, &settings.wecom),
    ]
    .into_iter()
    .filter(|(_, r)| r.enabled())
}

/// The URL and body to post, signed as of `now_ms` (DingTalk checks the timestamp).
fn request(robot: &Robot, m: &Message, now_ms: i64) -> (String, String) {
    match m.sink {
        Sink::Wecom => {
            let url = if robot.secret.is_empty() || robot.url.contains("key=") {
                robot.url.clone()
            } else {
                let joiner = if robot.url.contains('?') { '&' } else { '?' };
                format!("{}{joiner}key={}", robot.url, urlencode(&robot.secret))
            };
            (url, wecom_body(&m.text))
        }
        Sink::Dingtalk | Sink::Dashboard => (
            dingtalk_url(&robot.url, Some(&robot.secret), now_ms),
            dingtalk_body(&m.title, &m.text),
        ),
    }
}

/// Posts `m` to its robot, retrying; `now_ms` gives the signing time of each try.
pub async fn send(
    client: &reqwest::Client,
    robot: &Robot,
    m: &Message,
    now_ms: impl Fn() -> i64,
) -> Outcome {
    let mut outcome = Outcome {
        sink: m.sink,
        ok: false,
        attempts: 0,
        status: None,
        error: None,
    };
    let mut pause = BACKOFF;
    while outcome.attempts < ATTEMPTS {
        if outcome.attempts > 0 {
            tokio::time::sleep(pause).await;
            pause *= 2;
        }
        outcome.attempts += 1;
        let (url, body) = request(robot, m, now_ms());
        let sent = client
            .post(url)
            .timeout(TIMEOUT)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await;
        match sent {
            Err(e) => {
                outcome.status = None;
                outcome.error = Some(if e.is_timeout() {
                    "timed out".to_owned()
                } else if e.is_connect() {
                    "could not connect".to_owned()
                } else {
                    "request failed".to_owned()
                });
            }
            Ok(response) => {
                let status = response.status();
                outcome.status = Some(status.as_u16());
                let answer = response.text().await.unwrap_or_default();
                if !status.is_success() {
                    outcome.error = Some(format!("HTTP {}", status.as_u16()));
                    continue;
                }
                // Both robots answer {"errcode": 0, "errmsg": "ok"}; anything else is refused.
                let code = serde_json::from_str::<serde_json::Value>(&answer)
                    .ok()
                    .and_then(|v| {
                        let code = v.get("errcode")?.as_i64()?;
                        let msg = v.get("errmsg").and_then(|m| m.as_str()).unwrap_or("");
                        Some((code, msg.chars().take(200).collect::<String>()))
                    });
                match code {
                    Some((code, msg)) if code != 0 => {
                        outcome.error = Some(format!("errcode {code}: {msg}"));
                    }
                    _ => {
                        outcome.ok = true;
                        outcome.error = None;
                        return outcome;
                    }
                }
            }
        }
    }
    outcome
}

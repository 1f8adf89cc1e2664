//! Supervisor alerts (告警): raised by what the server sees (`detect.rs`), stored with their
//! history, pushed live to the shop's dashboards and posted to the shop's DingTalk and WeCom
//! group robots (`webhook.rs`), and escalated by the timer loop when a target passes.
//!
//! - **Dedupe.** One open alert per shop, kind and subject: the same trouble again bumps its
//!   count (and may raise its severity) instead of raising another. A bump is pushed to the
//!   dashboards; the robots hear of it only when its severity rose.
//! - **Delivered** means a supervisor's live socket was connected when it was pushed (or
//!   connects while it is open: the dashboard re-reads the list on every `hello`), or a robot
//!   accepted it. Failed robot posts are recorded in the history.
//! - **Escalation.** Not delivered within the delivery target (3 minutes), or not resolved
//!   within the resolution target (15 minutes): the alert turns red, the escalation is
//!   recorded, and the dashboards and robots are told again. Once per target.
//! - **Timers** are per node, in memory, filed on every change and rebuilt from the open
//!   alerts when the timer loop starts; what they act on is always re-read from the store.

pub mod detect;
pub mod settings;
pub mod webhook;

use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::views::LiveFrame;
use kefu_bus::Topic;
use kefu_domain::alert::{
    Alert, AlertChange, AlertError, AlertKind, AlertState, Severity, Sink, Trouble,
};
use kefu_domain::*;
use kefu_store::StoreError;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use utoipa::ToSchema;

/// How often a change is retried after losing a race with another writer.
const ATTEMPTS: usize = 5;
/// Most open alerts read per shop when the timers are rebuilt.
const WARM_LIMIT: u32 = 10_000;

/// Who watches, and when each open alert is next due.
#[derive(Debug)]
pub struct AlertService {
    watchers: Mutex<HashMap<ShopId, usize>>,
    timers: Mutex<BTreeSet<(Timestamp, ShopId, AlertId)>>,
    http: reqwest::Client,
    /// The hosts robot webhooks may post to (`[alerts] webhook_hosts`); `*` allows any.
    webhook_hosts: Vec<String>,
}

/// DingTalk's and WeCom's robot hosts: where a shop's robots post unless the server allows more
/// (a shop's supervisor must not be able to make the server post into its own network).
pub const ROBOT_HOSTS: [&str; 2] = ["oapi.dingtalk.com", "qyapi.weixin.qq.com"];

impl Default for AlertService {
    fn default() -> Self {
        AlertService {
            watchers: Mutex::default(),
            timers: Mutex::default(),
            // Robots answer directly; a redirect is not followed, so a configured URL cannot
            // bounce the post (and its signature) somewhere else.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            webhook_hosts: ROBOT_HOSTS.iter().map(|h| (*h).to_owned()).collect(),
        }
    }
}

/// A supervisor's live socket: alerts pushed while it is held count as delivered.
#[derive(Debug)]
pub struct Watching {
    service: Arc<AlertService>,
    shop: ShopId,
}

impl Drop for Watching {
    fn drop(&mut self) {
        let mut w = self.service.watchers();
        if let Some(n) = w.get_mut(&self.shop) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                w.remove(&self.shop);
            }
        }
    }
}

impl AlertService {
    pub fn shared() -> Arc<AlertService> {
        Arc::new(AlertService::default())
    }

    /// A service whose robots may post to these hosts only (`*`: any).
    pub fn with_webhook_hosts(hosts: Vec<String>) -> Arc<AlertService> {
        Arc::new(AlertService {
            webhook_hosts: hosts,
            ..AlertService::default()
        })
    }

    /// The hosts robots may post to.
    pub fn webhook_hosts(&self) -> &[String] {
        &self.webhook_hosts
    }

    /// Posts to a robot whose host is allowed; a refused host is a failure that says so.
    async fn post(
        &self,
        robot: &settings::Robot,
        m: &webhook::Message,
        now_ms: impl Fn() -> i64,
    ) -> webhook::Outcome {
        if !kefu_engine::alerts::webhook_allowed(&robot.url, &self.webhook_hosts) {
            return webhook::Outcome {
                sink: m.sink,
                ok: false,
                attempts: 0,
                status: None,
                error: Some("the robot's host is not allowed on this server".to_owned()),
            };
        }
        webhook::send(&self.http, robot, m, now_ms).await
    }

    fn watchers(&self) -> MutexGuard<'_, HashMap<ShopId, usize>> {
        self.watchers.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn timers(&self) -> MutexGuard<'_, BTreeSet<(Timestamp, ShopId, AlertId)>> {
        self.timers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts a supervisor's socket for as long as the guard lives.
    pub fn watch(self: &Arc<Self>, shop: ShopId) -> Watching {
        *self.watchers().entry(shop).or_default() += 1;
        Watching {
            service: self.clone(),
            shop,
        }
    }

    /// Whether a supervisor of the shop is connected live.
    pub fn watched(&self, shop: ShopId) -> bool {
        self.watchers().get(&shop).is_some_and(|n| *n > 0)
    }

    fn file(&self, alert: &Alert, targets: &kefu_engine::alerts::Targets) {
        let mut timers = self.timers();
        timers.retain(|(_, _, id)| *id != alert.id);
        if let Some(due) = kefu_engine::alerts::next_due(alert, targets) {
            timers.insert((due, alert.shop, alert.id));
        }
    }

    fn take_due(&self, now: Timestamp) -> Vec<(ShopId, AlertId)> {
        let mut timers = self.timers();
        let due: Vec<_> = timers
            .iter()
            .take_while(|(at, _, _)| *at <= now)
            .copied()
            .collect();
        for key in &due {
            timers.remove(key);
        }
        due.into_iter().map(|(_, shop, id)| (shop, id)).collect()
    }

    /// The earliest timer (for tests and the loop's curiosity).
    pub fn next_wake(&self) -> Option<Timestamp> {
        self.timers().first().map(|(at, _, _)| *at)
    }
}

/// An alert as the dashboard shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AlertView {
    #[schema(value_type = String)]
    pub id: AlertId,
    /// complaint_surge | risk_words | sla_cluster | agent_line | emotion
    #[schema(value_type = String)]
    pub kind: AlertKind,
    pub subject: String,
    /// yellow | red
    #[schema(value_type = String)]
    pub severity: Severity,
    /// raised | delivered | acknowledged | resolved
    #[schema(value_type = String)]
    pub state: AlertState,
    pub title: String,
    pub detail: String,
    #[schema(value_type = Option<String>)]
    pub conversation_id: Option<ConversationId>,
    #[schema(value_type = Option<String>)]
    pub agent_id: Option<AgentId>,
    pub count: u32,
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: Timestamp,
    #[schema(value_type = String, format = DateTime)]
    pub last_at: Timestamp,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub delivered_at: Option<Timestamp>,
    /// dashboard | dingtalk | wecom
    #[schema(value_type = Option<String>)]
    pub delivered_via: Option<Sink>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acknowledged_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub acknowledged_by: Option<AgentId>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub resolved_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub resolved_by: Option<AgentId>,
    /// Which targets it missed and was escalated for: delivery, resolution.
    pub escalated: Vec<&'static str>,
}

impl From<&Alert> for AlertView {
    fn from(a: &Alert) -> Self {
        AlertView {
            id: a.id,
            kind: a.kind,
            subject: a.subject.clone(),
            severity: a.severity,
            state: a.state,
            title: a.title.clone(),
            detail: a.detail.clone(),
            conversation_id: a.conversation,
            agent_id: a.agent,
            count: a.count,
            raised_at: a.raised_at,
            last_at: a.last_at,
            delivered_at: a.delivered_at,
            delivered_via: a.delivered_via,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            resolved_at: a.resolved_at,
            resolved_by: a.resolved_by,
            escalated: [
                a.delivery_escalated_at.map(|_| "delivery"),
                a.resolution_escalated_at.map(|_| "resolution"),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::NoteTooLong => ApiError::field("note", e.to_string()),
            AlertError::Resolved | AlertError::AlreadyAcknowledged => {
                ApiError::new(ErrorCode::AlertState, e.to_string())
            }
        }
    }
}

/// What happened to an alert, for what to tell whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum News {
    /// Newly raised: everyone.
    Raised,
    /// Occurred again; `rose` when its severity went up (then the robots hear of it too).
    Bumped { rose: bool },
    /// A target passed: everyone, again.
    Escalated,
    /// A person or a sink moved it: the dashboards.
    Moved,
}

/// Raises an alert for `trouble`, or bumps the open one of its kind and subject.
pub async fn raise(state: &AppState, shop: ShopId, trouble: Trouble) -> ApiResult<Alert> {
    for _ in 0..ATTEMPTS {
        let now = state.clock.now();
        match state
            .store
            .open_alert(shop, trouble.kind, &trouble.subject)
            .await?
        {
            Some(mut open) => {
                let expected = open.version;
                let before = open.severity;
                let Some(change) = open.bump(&trouble, now) else {
                    continue;
                };
                match state.store.update_alert(&open, expected, &[change]).await {
                    Ok(()) => {
                        let rose = open.severity > before;
                        announce(state, &open, News::Bumped { rose }).await;
                        return Ok(open);
                    }
                    Err(StoreError::Stale(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
            None => {
                let (alert, change) = Alert::raise(shop, trouble.clone(), now);
                match state.store.insert_alert(&alert, &change).await {
                    Ok(()) => {
                        tracing::info!(%shop, alert = %alert.id, kind = %alert.kind, severity = %alert.severity, "alert raised");
                        announce(state, &alert, News::Raised).await;
                        return Ok(alert);
                    }
                    // Another writer raised it first: bump theirs.
                    Err(StoreError::Duplicate(_)) => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "the alert kept changing; try again",
    ))
}

/// Reads an alert, applies `change` and writes it with its history entry, retrying when
/// another writer got there first. `Ok(None)` when `change` had nothing to record.
async fn modify(
    state: &AppState,
    shop: ShopId,
    id: AlertId,
    change: impl Fn(&mut Alert) -> Result<Option<AlertChange>, AlertError>,
) -> ApiResult<Option<Alert>> {
    for _ in 0..ATTEMPTS {
        let mut alert = state
            .store
            .alert(shop, id)
            .await?
            .ok_or_else(|| ApiError::not_found("alert"))?;
        let expected = alert.version;
        let Some(entry) = change(&mut alert)? else {
            return Ok(None);
        };
        match state.store.update_alert(&alert, expected, &[entry]).await {
            Ok(()) => return Ok(Some(alert)),
            Err(StoreError::Stale(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(ApiError::new(
        ErrorCode::Conflict,
        "the alert kept changing; try again",
    ))
}

/// A supervisor takes an alert on.
pub async fn acknowledge(
    state: &AppState,
    by: &Agent,
    id: AlertId,
    note: &str,
) -> ApiResult<Alert> {
    let now = state.clock.now();
    let alert = modify(state, by.shop, id, |a| {
        a.acknowledge(by.id, note, now).map(Some)
    })
    .await?
    .ok_or_else(ApiError::internal)?;
    announce(state, &alert, News::Moved).await;
    Ok(alert)
}

/// A supervisor says an alert is dealt with.
pub async fn resolve(state: &AppState, by: &Agent, id: AlertId, note: &str) -> ApiResult<Alert> {
    let now = state.clock.now();
    let alert = modify(state, by.shop, id, |a| {
        a.resolve(by.id, note, now).map(Some)
    })
    .await?
    .ok_or_else(ApiError::internal)?;
    announce(state, &alert, News::Moved).await;
    Ok(alert)
}

fn push(state: &AppState, alert: &Alert) {
    state.bus.publish(
        Topic::Shop(alert.shop),
        LiveFrame::Alert {
            alert: AlertView::from(alert),
        }
        .to_json(),
    );
}

/// Tells the dashboards (and, for news, the robots), records a live delivery, files the timer.
async fn announce(state: &AppState, alert: &Alert, news: News) {
    push(state, alert);
    let settings = match settings::load(&*state.store, alert.shop).await {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(shop = %alert.shop, error = %e, "alert settings not read; defaults used");
            settings::AlertSettings::default()
        }
    };
    let mut latest = alert.clone();
    if alert.state == AlertState::Raised && state.alerts.watched(alert.shop) {
        latest = delivered(state, alert.shop, alert.id, Sink::Dashboard)
            .await
            .unwrap_or(latest);
    }
    state.alerts.file(&latest, &settings.targets());
    let tell_robots = match news {
        News::Raised | News::Escalated => true,
        News::Bumped { rose } => rose,
        News::Moved => false,
    };
    if tell_robots && webhook::robots(&settings).next().is_some() {
        let state = state.clone();
        let alert = latest;
        tokio::spawn(async move {
            notify_robots(&state, &settings, &alert, news == News::Escalated).await;
        });
    }
}

/// Records that a sink got the alert, if it was not delivered yet, and pushes the change.
async fn delivered(state: &AppState, shop: ShopId, id: AlertId, via: Sink) -> Option<Alert> {
    let now = state.clock.now();
    match modify(state, shop, id, |a| Ok(a.delivered(via, now))).await {
        Ok(Some(alert)) => {
            push(state, &alert);
            Some(alert)
        }
        Ok(None) => None,
        Err(e) => {
            tracing::error!(%shop, alert = %id, error = %e.message, "delivery not recorded");
            None
        }
    }
}

/// Posts the alert to the shop's robots; records a success as its delivery and each failure
/// in its history.
async fn notify_robots(
    state: &AppState,
    settings: &settings::AlertSettings,
    alert: &Alert,
    escalated: bool,
) -> Vec<webhook::Outcome> {
    let name = match state.store.shop(alert.shop).await {
        Ok(Some(record)) => record.shop.name,
        _ => String::new(),
    };
    let mut outcomes = Vec::new();
    for m in webhook::messages(settings, alert, &name, escalated) {
        let robot = match m.sink {
            Sink::Dingtalk => &settings.dingtalk,
            _ => &settings.wecom,
        };
        let clock = state.clock.clone();
        let outcome = state
            .alerts
            .post(robot, &m, || clock.now().as_millis())
            .await;
        if outcome.ok {
            delivered(state, alert.shop, alert.id, m.sink).await;
        } else {
            let why = outcome.error.clone().unwrap_or_default();
            tracing::warn!(shop = %alert.shop, alert = %alert.id, sink = %m.sink, error = %why, "alert not delivered");
            let entry = alert.failed(m.sink, outcome.attempts, &why, state.clock.now());
            if let Err(e) = state.store.record_alert_change(alert.shop, &entry).await {
                tracing::error!(shop = %alert.shop, alert = %alert.id, error = %e, "delivery failure not recorded");
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// Sends a test message to the shop's robots (or one of them) now and says how each fared.
pub async fn test_robots(
    state: &AppState,
    shop: ShopId,
    only: Option<Sink>,
) -> ApiResult<Vec<webhook::Outcome>> {
    let settings = settings::load(&*state.store, shop).await?;
    let name = state
        .store
        .shop(shop)
        .await?
        .map(|r| r.shop.name)
        .unwrap_or_default();
    let now = state.clock.now();
    let mut outcomes = Vec::new();
    for (sink, robot) in webhook::robots(&settings).filter(|(s, _)| only.is_none_or(|o| o == *s)) {
        let m = webhook::Message {
            sink,
            title: "[测试] kefu 告警通道".to_owned(),
            text: format!(
                "### [测试] kefu 告警通道\n\n- 店铺：{name}\n- 时间：{}\n\n> 收到这条消息说明告警可以送达。\n",
                now.to_shop_minute()
            ),
        };
        let clock = state.clock.clone();
        outcomes.push(
            state
                .alerts
                .post(robot, &m, || clock.now().as_millis())
                .await,
        );
    }
    Ok(outcomes)
}

/// Escalates every alert whose target passed, in every shop; how many it escalated.
pub async fn tick(state: &AppState) -> usize {
    let now = state.clock.now();
    let mut escalated = 0;
    for (shop, id) in state.alerts.take_due(now) {
        let settings = match settings::load(&*state.store, shop).await {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(%shop, error = %e, "alert settings not read; defaults used");
                settings::AlertSettings::default()
            }
        };
        let targets = settings.targets();
        let changed = modify(state, shop, id, |a| {
            Ok(kefu_engine::alerts::overdue(a, &targets, now).and_then(|o| a.escalate(o, now)))
        })
        .await;
        match changed {
            Ok(Some(alert)) => {
                tracing::warn!(%shop, alert = %id, "alert escalated: a target passed");
                escalated += 1;
                announce(state, &alert, News::Escalated).await;
            }
            Ok(None) => match state.store.alert(shop, id).await {
                Ok(Some(alert)) => state.alerts.file(&alert, &targets),
                Ok(None) => {}
                Err(e) => tracing::error!(%shop, alert = %id, error = %e, "alert not read back"),
            },
            Err(e) => {
                tracing::error!(%shop, alert = %id, error = %e.message, "escalation not recorded; retrying");
                let mut timers = state.alerts.timers();
                timers.insert((now.plus_millis(5_000), shop, id));
            }
        }
    }
    escalated
}

/// Files the timers of every shop's open alerts (at start).
pub async fn warm(state: &AppState) {
    let shops = match state.store.list_shops().await {
        Ok(shops) => shops,
        Err(e) => {
            tracing::error!(error = %e, "alert timers not rebuilt: shops not listed");
            return;
        }
    };
    for shop in shops {
        let settings = settings::load(&*state.store, shop.id)
            .await
            .unwrap_or_default();
        match state.store.list_alerts(shop.id, true, WARM_LIMIT).await {
            Ok(open) => {
                for alert in &open {
                    state.alerts.file(alert, &settings.targets());
                }
            }
            Err(e) => tracing::error!(shop = %shop.slug, error = %e, "open alerts not read"),
        }
    }
}

/// A supervisor's dashboard connected: it reads the open alerts on `hello`, so the ones not
/// delivered yet are now.
pub async fn supervisor_connected(state: &AppState, shop: ShopId) {
    match state.store.list_alerts(shop, true, WARM_LIMIT).await {
        Ok(open) => {
            for alert in open.iter().filter(|a| a.state == AlertState::Raised) {
                delivered(state, shop, alert.id, Sink::Dashboard).await;
            }
        }
        Err(e) => tracing::error!(%shop, error = %e, "open alerts not read"),
    }
}

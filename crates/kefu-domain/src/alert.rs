//! Supervisor alerts (告警): something a supervisor must look at now — a surge of complaints, a
//! shopper threatening 12315 or the press, a cluster of SLA breaches, an agent on the red or
//! yellow line, a shopper whose emotion escalated.
//!
//! ```text
//!  raised ──► delivered ──► acknowledged ──► resolved
//!     │  (dashboard live or     ▲                ▲
//!     │   a webhook succeeded)  │                │
//!     └─────────────────────────┴── ack / resolve ┘   (a resolve acknowledges on the way)
//! ```
//! There is at most one open (not resolved) alert per shop, kind and subject: the same trouble
//! again bumps its count and may raise its severity instead of raising another. Every change
//! yields an [`AlertChange`], the alert's history. Targets (delivered within 3 minutes,
//! resolved within 15) and their escalation are decided in `kefu_engine::alerts`. No I/O, no
//! clock reads.

use crate::ids::*;
use crate::model::named_enum;
use crate::time::Timestamp;
use serde::{Deserialize, Serialize};

/// The longest acknowledge or resolve note, in characters.
pub const MAX_NOTE_CHARS: usize = 500;

named_enum!(
    /// What the alert is about.
    AlertKind {
        /// Complaints this hour well above the same hour of previous weeks (投诉量激增).
        ComplaintSurge = "complaint_surge",
        /// A shopper names the regulator, a lawyer or the press (12315, 律师, 曝光 …).
        RiskWords = "risk_words",
        /// Several SLA breaches in the shop within a few minutes.
        SlaCluster = "sla_cluster",
        /// An agent reached the day's yellow or red line (红黄线).
        AgentLine = "agent_line",
        /// A shopper's emotion escalated (情绪升级).
        Emotion = "emotion",
    }
);

named_enum!(
    /// How urgent.
    Severity {
        Yellow = "yellow",
        Red = "red",
    }
);

named_enum!(
    /// Where an alert stands.
    AlertState {
        /// Recorded; nobody has been told yet.
        Raised = "raised",
        /// A supervisor's dashboard got it live, or a webhook accepted it.
        Delivered = "delivered",
        /// A supervisor took it on.
        Acknowledged = "acknowledged",
        /// Dealt with. A new occurrence raises a new alert.
        Resolved = "resolved",
    }
);

named_enum!(
    /// Where alerts go.
    Sink {
        /// The supervisors' live dashboard.
        Dashboard = "dashboard",
        /// A DingTalk group robot (钉钉).
        Dingtalk = "dingtalk",
        /// A WeCom group robot (企业微信).
        Wecom = "wecom",
    }
);

named_enum!(
    /// Which target an alert missed.
    Overdue {
        /// Not delivered within the delivery target (3 minutes).
        Delivery = "delivery",
        /// Not resolved within the resolution target (15 minutes).
        Resolution = "resolution",
    }
);

impl AlertState {
    pub fn is_open(self) -> bool {
        self != AlertState::Resolved
    }
}

/// What raised (or bumped) an alert: the trouble, as detection describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub kind: AlertKind,
    /// What it is about within its kind (a conversation, an agent, the shop): one open alert
    /// per kind and subject.
    pub subject: String,
    pub severity: Severity,
    /// One line for people (Chinese, as the shop reads it).
    pub title: String,
    /// The particulars.
    pub detail: String,
    pub conversation: Option<ConversationId>,
    pub agent: Option<AgentId>,
}

/// An alert as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alert {
    pub id: AlertId,
    pub shop: ShopId,
    pub kind: AlertKind,
    pub subject: String,
    pub severity: Severity,
    pub state: AlertState,
    pub title: String,
    pub detail: String,
    pub conversation: Option<ConversationId>,
    pub agent: Option<AgentId>,
    /// How many times the trouble occurred while this alert was open.
    pub count: u32,
    pub raised_at: Timestamp,
    /// The latest occurrence.
    pub last_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    pub delivered_via: Option<Sink>,
    pub acknowledged_at: Option<Timestamp>,
    pub acknowledged_by: Option<AgentId>,
    pub resolved_at: Option<Timestamp>,
    pub resolved_by: Option<AgentId>,
    /// When each missed target was escalated (once each).
    pub delivery_escalated_at: Option<Timestamp>,
    pub resolution_escalated_at: Option<Timestamp>,
    /// Counts changes; the store refuses a write from a stale version.
    pub version: i64,
}

/// One entry of an alert's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertChange {
    pub alert: AlertId,
    pub at: Timestamp,
    /// The supervisor who did it; `None` for the system.
    pub by: Option<AgentId>,
    pub change: Change,
    /// A supervisor's note, or what went wrong.
    pub note: String,
}

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    Raised {
        severity: Severity,
    },
    /// The trouble occurred again while open.
    Bumped {
        count: u32,
        severity: Severity,
    },
    Delivered {
        via: Sink,
    },
    /// A sink did not take it (after its retries); `note` says why.
    DeliveryFailed {
        via: Sink,
        attempts: u32,
    },
    Acknowledged,
    Resolved,
    /// A target passed: severity raised to red and everyone told again.
    Escalated {
        overdue: Overdue,
        severity: Severity,
    },
}

impl Change {
    /// The stable name stored beside the data.
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Raised { .. } => "raised",
            Change::Bumped { .. } => "bumped",
            Change::Delivered { .. } => "delivered",
            Change::DeliveryFailed { .. } => "delivery_failed",
            Change::Acknowledged => "acknowledged",
            Change::Resolved => "resolved",
            Change::Escalated { .. } => "escalated",
        }
    }
}

/// Why a person's change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    #[error("the alert is already resolved")]
    Resolved,
    #[error("the alert is already acknowledged")]
    AlreadyAcknowledged,
    #[error("the note is longer than {MAX_NOTE_CHARS} characters")]
    NoteTooLong,
}

fn note(text: &str) -> Result<String, AlertError> {
    let text = text.trim();
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(AlertError::NoteTooLong);
    }
    Ok(text.to_owned())
}

impl Alert {
    /// A new alert for `trouble`, and its first history entry.
    pub fn raise(shop: ShopId, trouble: Trouble, at: Timestamp) -> (Alert, AlertChange) {
        let alert = Alert {
            id: AlertId::new(),
            shop,
            kind: trouble.kind,
            subject: trouble.subject,
            severity: trouble.severity,
            state: AlertState::Raised,
            title: trouble.title,
            detail: trouble.detail,
            conversation: trouble.conversation,
            agent: trouble.agent,
            count: 1,
            raised_at: at,
            last_at: at,
            delivered_at: None,
            delivered_via: None,
            acknowledged_at: None,
            acknowledged_by: None,
            resolved_at: None,
            resolved_by: None,
            delivery_escalated_at: None,
            resolution_escalated_at: None,
            version: 1,
        };
        let change = AlertChange {
            alert: alert.id,
            at,
            by: None,
            change: Change::Raised {
                severity: alert.severity,
            },
            note: String::new(),
        };
        (alert, change)
    }

    fn entry(
        &mut self,
        at: Timestamp,
        by: Option<AgentId>,
        change: Change,
        note: String,
    ) -> AlertChange {
        self.version += 1;
        AlertChange {
            alert: self.id,
            at,
            by,
            change,
            note,
        }
    }

    /// The same trouble again while open: one more occurrence, and the higher of the two
    /// severities with the particulars of the more severe (the newer on a tie). `None` when
    /// the alert is resolved (raise a new one).
    pub fn bump(&mut self, trouble: &Trouble, at: Timestamp) -> Option<AlertChange> {
        if !self.state.is_open() {
            return None;
        }
        self.count = self.count.saturating_add(1);
        if trouble.severity >= self.severity {
            self.severity = trouble.severity;
            self.title = trouble.title.clone();
            self.detail = trouble.detail.clone();
        }
        self.last_at = at;
        let change = Change::Bumped {
            count: self.count,
            severity: self.severity,
        };
        Some(self.entry(at, None, change, String::new()))
    }

    /// A sink got it. Only the first delivery moves the state; later ones are not recorded.
    pub fn delivered(&mut self, via: Sink, at: Timestamp) -> Option<AlertChange> {
        if self.state != AlertState::Raised {
            return None;
        }
        self.state = AlertState::Delivered;
        self.delivered_at = Some(at);
        self.delivered_via = Some(via);
        Some(self.entry(at, None, Change::Delivered { via }, String::new()))
    }

    /// A supervisor takes it on (an undelivered alert evidently reached them).
    pub fn acknowledge(
        &mut self,
        by: AgentId,
        text: &str,
        at: Timestamp,
    ) -> Result<AlertChange, AlertError> {
        match self.state {
            AlertState::Resolved => return Err(AlertError::Resolved),
            AlertState::Acknowledged => return Err(AlertError::AlreadyAcknowledged),
            AlertState::Raised | AlertState::Delivered => {}
        }
        let text = note(text)?;
        self.state = AlertState::Acknowledged;
        self.acknowledged_at = Some(at);
        self.acknowledged_by = Some(by);
        Ok(self.entry(at, Some(by), Change::Acknowledged, text))
    }

    /// A supervisor says it is dealt with; an alert nobody acknowledged is acknowledged by
    /// the same act.
    pub fn resolve(
        &mut self,
        by: AgentId,
        text: &str,
        at: Timestamp,
    ) -> Result<AlertChange, AlertError> {
        if self.state == AlertState::Resolved {
            return Err(AlertError::Resolved);
        }
        let text = note(text)?;
        if self.acknowledged_at.is_none() {
            self.acknowledged_at = Some(at);
            self.acknowledged_by = Some(by);
        }
        self.state = AlertState::Resolved;
        self.resolved_at = Some(at);
        self.resolved_by = Some(by);
        Ok(self.entry(at, Some(by), Change::Resolved, text))
    }

    /// A target passed: recorded once per target, and the alert turns red.
    pub fn escalate(&mut self, overdue: Overdue, at: Timestamp) -> Option<AlertChange> {
        if !self.state.is_open() {
            return None;
        }
        let slot = match overdue {
            Overdue::Delivery => &mut self.delivery_escalated_at,
            Overdue::Resolution => &mut self.resolution_escalated_at,
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(at);
        self.severity = Severity::Red;
        let change = Change::Escalated {
            overdue,
            severity: self.severity,
        };
        Some(self.entry(at, None, change, String::new()))
    }

    /// A sink failed after its retries; the alert itself does not change.
    pub fn failed(&self, via: Sink, attempts: u32, why: &str, at: Timestamp) -> AlertChange {
        AlertChange {
            alert: self.id,
            at,
            by: None,
            change: Change::DeliveryFailed { via, attempts },
            note: why.chars().take(MAX_NOTE_CHARS).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms)
    }

    fn trouble(severity: Severity) -> Trouble {
        Trouble {
            kind: AlertKind::RiskWords,
            subject: "c1".into(),
            severity,
            title: "顾客提到 12315".into(),
            detail: "再不退款就打12315".into(),
            conversation: None,
            agent: None,
        }
    }

    #[test]
    fn an_alert_goes_raised_delivered_acknowledged_resolved_with_its_history() {
        let shop = ShopId::new();
        let boss = AgentId::new();
        let (mut a, first) = Alert::raise(shop, trouble(Severity::Yellow), t(0));
        assert_eq!((a.state, a.count, a.version), (AlertState::Raised, 1, 1));
        assert_eq!(
            first.change,
            Change::Raised {
                severity: Severity::Yellow
            }
        );

        let bumped = a.bump(&trouble(Severity::Red), t(5)).expect("open");
        assert_eq!(
            bumped.change,
            Change::Bumped {
                count: 2,
                severity: Severity::Red
            }
        );
        assert_eq!((a.severity, a.last_at), (Severity::Red, t(5)));
        let mut milder = trouble(Severity::Yellow);
        milder.title = "milder".into();
        a.bump(&milder, t(6)).expect("open");
        assert_eq!(
            (a.severity, a.count),
            (Severity::Red, 3),
            "severity never drops"
        );
        assert_eq!(
            a.title, "顾客提到 12315",
            "the more severe particulars stay"
        );

        assert!(a.delivered(Sink::Wecom, t(7)).is_some());
        assert!(
            a.delivered(Sink::Dashboard, t(8)).is_none(),
            "first delivery only"
        );
        assert_eq!(a.delivered_via, Some(Sink::Wecom));

        let ack = a.acknowledge(boss, "  在处理 ", t(9)).expect("delivered");
        assert_eq!((ack.by, ack.note.as_str()), (Some(boss), "在处理"));
        assert_eq!(
            a.acknowledge(boss, "", t(10)),
            Err(AlertError::AlreadyAcknowledged)
        );
        let long = "长".repeat(MAX_NOTE_CHARS + 1);
        assert_eq!(a.resolve(boss, &long, t(10)), Err(AlertError::NoteTooLong));
        let version = a.version;
        a.resolve(boss, "已退款", t(11)).expect("open");
        assert_eq!((a.state, a.version), (AlertState::Resolved, version + 1));
        assert_eq!(a.resolve(boss, "", t(12)), Err(AlertError::Resolved));
        assert!(
            a.bump(&trouble(Severity::Red), t(13)).is_none(),
            "a resolved alert is done"
        );
        assert!(a.escalate(Overdue::Resolution, t(14)).is_none());
    }

    #[test]
    fn resolving_unacknowledged_acknowledges_and_each_target_escalates_once() {
        let boss = AgentId::new();
        let (mut a, _) = Alert::raise(ShopId::new(), trouble(Severity::Yellow), t(0));
        let e = a.escalate(Overdue::Delivery, t(180_000)).expect("first");
        assert_eq!(
            e.change,
            Change::Escalated {
                overdue: Overdue::Delivery,
                severity: Severity::Red
            }
        );
        assert!(a.escalate(Overdue::Delivery, t(190_000)).is_none());
        assert!(a.escalate(Overdue::Resolution, t(900_000)).is_some());
        a.resolve(boss, "", t(901_000)).expect("open");
        assert_eq!(
            (a.acknowledged_by, a.acknowledged_at),
            (Some(boss), Some(t(901_000)))
        );
        let failed = a.failed(Sink::Dingtalk, 3, "HTTP 500", t(1));
        assert_eq!(
            failed.change,
            Change::DeliveryFailed {
                via: Sink::Dingtalk,
                attempts: 3
            }
        );
    }
}

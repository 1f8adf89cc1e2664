//! Knowledge-base entries (知识库 / 百问百答): a standard question, the ways shoppers ask it,
//! the answer, and where the entry stands in its life.
//!
//! ```text
//!  draft ──submit──► in_review ──publish──► published ──retire──► retired
//!    ▲                   │                      │                    │
//!    └───── reject ──────┘◄──────── edit ───────┘◄──── revive ───────┘ (back to draft)
//! ```
//! Only published entries inside their validity window answer shoppers. A draft may be
//! published directly by someone allowed to (a shop without a review step).

use crate::ids::*;
use crate::model::named_enum;
use crate::time::{SHOP_UTC_OFFSET_MS, Timestamp};
use serde::{Deserialize, Serialize};

/// The longest standard or similar question, in characters.
pub const MAX_QUESTION_CHARS: usize = 200;
/// The longest answer, in characters (a chat message's limit).
pub const MAX_ANSWER_CHARS: usize = crate::text::MAX_MESSAGE_CHARS;
/// Similar questions per entry.
pub const MAX_SIMILAR: usize = 50;
/// Tags or products per entry, and characters per tag or product.
pub const MAX_LABELS: usize = 20;
pub const MAX_LABEL_CHARS: usize = 40;
/// The longest entry code (编号).
pub const MAX_KEY_CHARS: usize = 64;

named_enum!(
    /// Where an entry stands.
    EntryStatus {
        /// Being written; the bot does not use it.
        Draft = "draft",
        /// Waiting for a supervisor or admin to publish it.
        InReview = "in_review",
        /// Answers shoppers (inside its validity window).
        Published = "published",
        /// No longer used; kept for its history and statistics.
        Retired = "retired",
    }
);

impl EntryStatus {
    /// Whether an entry may move from `self` to `to`.
    pub fn can_become(self, to: EntryStatus) -> bool {
        use EntryStatus::*;
        matches!(
            (self, to),
            (Draft, InReview)
                | (Draft, Published)
                | (InReview, Published)
                | (InReview, Draft)
                | (Published, Retired)
                | (Published, Draft)
                | (Retired, Draft)
        ) || self == to
    }
}

/// What an editor or an import provides; [`EntryDraft::parse`] checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryDraft {
    /// The shop's own code for the entry (编号), unique in the shop; matches rows on re-import.
    pub key: Option<String>,
    pub question: String,
    pub similar: Vec<String>,
    pub answer: String,
    pub tags: Vec<String>,
    pub products: Vec<String>,
    /// First and last day the entry answers (`YYYY-MM-DD`, shop time), for promotions.
    pub valid_from: Option<String>,
    pub valid_to: Option<String>,
}

/// Why an entry was refused. `field` names the offending field for the UI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct EntryError {
    pub field: &'static str,
    pub message: String,
}

fn err(field: &'static str, message: impl Into<String>) -> EntryError {
    EntryError {
        field,
        message: message.into(),
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// Trimmed, non-empty, de-duplicated (first occurrence kept) items.
fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// A `YYYY-MM-DD` date as (year, month, day), checked against the calendar.
pub fn parse_date(s: &str) -> Option<(i32, u8, u8)> {
    let mut parts = s.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    let month = time::Month::try_from(m).ok()?;
    time::Date::from_calendar_date(y, month, d).ok()?;
    Some((y, m, d))
}

/// Midnight at the start of a shop-time (UTC+8) day, as a timestamp.
fn shop_midnight((y, m, d): (i32, u8, u8)) -> Option<Timestamp> {
    let month = time::Month::try_from(m).ok()?;
    let date = time::Date::from_calendar_date(y, month, d).ok()?;
    let utc_ms = date.midnight().assume_utc().unix_timestamp() * 1000 - SHOP_UTC_OFFSET_MS;
    Some(Timestamp::from_millis(utc_ms))
}

impl EntryDraft {
    /// Trims and checks every field; the result is what gets stored.
    pub fn parse(self) -> Result<EntryDraft, EntryError> {
        let key = self
            .key
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty());
        if let Some(k) = &key
            && (chars(k) > MAX_LABEL_CHARS || k.chars().any(char::is_control))
        {
            return Err(err(
                "key",
                format!("at most {MAX_LABEL_CHARS} characters, no control characters"),
            ));
        }
        let question = self.question.trim().to_owned();
        if question.is_empty() {
            return Err(err("question", "the standard question is required"));
        }
        if chars(&question) > MAX_QUESTION_CHARS {
            return Err(err(
                "question",
                format!("at most {MAX_QUESTION_CHARS} characters"),
            ));
        }
        let answer = self.answer.trim().to_owned();
        if answer.is_empty() {
            return Err(err("answer", "the answer is required"));
        }
        if chars(&answer) > MAX_ANSWER_CHARS {
            return Err(err(
                "answer",
                format!("at most {MAX_ANSWER_CHARS} characters"),
            ));
        }
        let similar: Vec<String> = clean_list(&self.similar)
            .into_iter()
            .filter(|s| *s != question)
            .collect();
        if similar.len() > MAX_SIMILAR {
            return Err(err(
                "similar",
                format!("at most {MAX_SIMILAR} similar questions"),
            ));
        }
        if let Some(long) = similar.iter().find(|s| chars(s) > MAX_QUESTION_CHARS) {
            return Err(err(
                "similar",
                format!("{long:?} is longer than {MAX_QUESTION_CHARS} characters"),
            ));
        }
        let tags = clean_list(&self.tags);
        let products = clean_list(&self.products);
        for (field, list) in [("tags", &tags), ("products", &products)] {
            if list.len() > MAX_LABELS || list.iter().any(|t| chars(t) > MAX_LABEL_CHARS) {
                return Err(err(
                    field,
                    format!("at most {MAX_LABELS} items of at most {MAX_LABEL_CHARS} characters"),
                ));
            }
        }
        let date = |field: &'static str, v: Option<String>| -> Result<Option<String>, EntryError> {
            match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) if parse_date(&s).is_some() => Ok(Some(s)),
                Some(s) => Err(err(field, format!("{s:?} is not a date like 2026-12-01"))),
            }
        };
        let valid_from = date("valid_from", self.valid_from)?;
        let valid_to = date("valid_to", self.valid_to)?;
        if let (Some(from), Some(to)) = (&valid_from, &valid_to)
            && to < from
        {
            return Err(err("valid_to", "the last day is before the first day"));
        }
        Ok(EntryDraft {
            key,
            question,
            similar,
            answer,
            tags,
            products,
            valid_from,
            valid_to,
        })
    }
}

named_enum!(
    /// Where a proposed entry stands.
    ProposalStatus {
        /// Waiting for an admin.
        Open = "open",
        /// Turned into an entry.
        Approved = "approved",
        /// Not worth an entry; its questions are not proposed again.
        Dismissed = "dismissed",
    }
);

/// A proposed entry: questions shoppers asked that the bot could not answer, grouped by
/// meaning. The most central question is the standard one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeProposal {
    pub id: ProposalId,
    pub shop: ShopId,
    pub question: String,
    pub similar: Vec<String>,
    /// Times asked, and by how many shoppers.
    pub asked: i64,
    pub askers: i64,
    pub status: ProposalStatus,
    /// The entry an approval created.
    pub entry: Option<KnowledgeEntryId>,
    pub created_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

impl KnowledgeProposal {
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.question.as_str()).chain(self.similar.iter().map(String::as_str))
    }
}

/// How an entry has served shoppers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeStats {
    /// Times the bot answered with it (or an agent used it from the assist panel).
    pub hits: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    /// Times the conversation went to a person right after it answered.
    pub handoffs: i64,
}

impl KnowledgeStats {
    /// Helpful votes among all votes; `None` before the first vote.
    pub fn helpful_rate(&self) -> Option<f64> {
        let votes = self.helpful + self.unhelpful;
        (votes > 0).then(|| self.helpful as f64 / votes as f64)
    }
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeEntry {
    pub id: KnowledgeEntryId,
    pub shop: ShopId,
    #[serde(flatten)]
    pub fields: EntryDraft,
    pub status: EntryStatus,
    /// Raised by every edit; an edit that names an older version is refused.
    pub version: i64,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub stats: KnowledgeStats,
}

impl KnowledgeEntry {
    /// The standard question and then the similar ones: every phrasing retrieval indexes.
    pub fn questions(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.fields.question.as_str())
            .chain(self.fields.similar.iter().map(String::as_str))
    }

    /// When the validity window opens (the first day's shop-time midnight) and closes (the
    /// midnight after the last day); `None` for an open side.
    pub fn window(&self) -> (Option<Timestamp>, Option<Timestamp>) {
        let from = self.fields.valid_from.as_deref().and_then(parse_date);
        let to = self.fields.valid_to.as_deref().and_then(parse_date);
        (
            from.and_then(shop_midnight),
            to.and_then(|d| shop_midnight(d).map(|t| t.plus_millis(24 * 3600 * 1000))),
        )
    }

    /// The instants at which the entry starts or stops answering.
    pub fn window_edges(&self) -> impl Iterator<Item = Timestamp> {
        let (start, end) = self.window();
        start.into_iter().chain(end)
    }

    /// Whether the entry's validity window (shop time, whole days) includes `now`.
    pub fn in_window(&self, now: Timestamp) -> bool {
        let (start, end) = self.window();
        start.is_none_or(|s| now >= s) && end.is_none_or(|e| now < e)
    }

    /// Whether the bot may answer with this entry at `now`.
    pub fn answers_at(&self, now: Timestamp) -> bool {
        self.status == EntryStatus::Published && self.in_window(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> EntryDraft {
        EntryDraft {
            key: Some(" kb-001 ".into()),
            question: " 什么时候发货 ".into(),
            similar: vec![
                "几天发货".into(),
                "".into(),
                "几天发货".into(),
                "什么时候发货".into(),
            ],
            answer: "亲，16点前付款当天发哦".into(),
            tags: vec!["物流".into()],
            ..EntryDraft::default()
        }
    }

    #[test]
    fn parse_trims_and_deduplicates() {
        let d = draft().parse().expect("valid");
        assert_eq!(d.key.as_deref(), Some("kb-001"));
        assert_eq!(d.question, "什么时候发货");
        assert_eq!(d.similar, vec!["几天发货".to_owned()]);
    }

    #[test]
    fn bad_fields_are_named() {
        let cases: Vec<(EntryDraft, &str)> = vec![
            (
                EntryDraft {
                    question: "  ".into(),
                    ..draft()
                },
                "question",
            ),
            (
                EntryDraft {
                    answer: "".into(),
                    ..draft()
                },
                "answer",
            ),
            (
                EntryDraft {
                    answer: "好".repeat(2001),
                    ..draft()
                },
                "answer",
            ),
            (
                EntryDraft {
                    similar: (0..51).map(|i| format!("问{i}")).collect(),
                    ..draft()
                },
                "similar",
            ),
            (
                EntryDraft {
                    valid_from: Some("2026-13-01".into()),
                    ..draft()
                },
                "valid_from",
            ),
            (
                EntryDraft {
                    valid_from: Some("2026-12-12".into()),
                    valid_to: Some("2026-12-01".into()),
                    ..draft()
                },
                "valid_to",
            ),
            (
                EntryDraft {
                    tags: vec!["标".repeat(41)],
                    ..draft()
                },
                "tags",
            ),
        ];
        for (d, field) in cases {
            assert_eq!(d.parse().expect_err("invalid").field, field);
        }
    }

    #[test]
    fn the_validity_window_is_whole_shop_days() {
        let entry = KnowledgeEntry {
            id: KnowledgeEntryId::new(),
            shop: ShopId::new(),
            fields: EntryDraft {
                valid_from: Some("2026-12-01".into()),
                valid_to: Some("2026-12-12".into()),
                ..draft()
            },
            status: EntryStatus::Published,
            version: 1,
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(0),
            stats: KnowledgeStats::default(),
        };
        let at = |s: &str| Timestamp::parse_rfc3339(s).expect("valid time");
        assert!(!entry.answers_at(at("2026-11-30T23:59:59+08:00")));
        assert!(entry.answers_at(at("2026-12-01T00:00:00+08:00")));
        assert!(entry.answers_at(at("2026-12-12T23:59:59+08:00")));
        assert!(!entry.answers_at(at("2026-12-13T00:00:00+08:00")));
        let draft_entry = KnowledgeEntry {
            status: EntryStatus::Draft,
            ..entry
        };
        assert!(!draft_entry.answers_at(at("2026-12-05T12:00:00+08:00")));
    }

    #[test]
    fn status_moves_follow_the_lifecycle() {
        use EntryStatus::*;
        assert!(Draft.can_become(Published));
        assert!(Published.can_become(Retired));
        assert!(!Retired.can_become(Published));
        assert!(!Draft.can_become(Retired));
        assert!(Retired.can_become(Draft));
    }
}

//! Live quality inspection (质检) as the log and the wire see it: the shop's service policy an
//! agent's words are checked against, and what the check found in one message. The check itself
//! is `kefu_engine::qa`; the server runs it as the agent types and again when the message is
//! sent, and keeps the findings with the message's analysis.

use crate::model::named_enum;
use serde::{Deserialize, Serialize};

named_enum!(
    /// What kind of problem a finding is.
    QaLabel {
        /// 禁用语: refusing, shirking, blaming or brushing the shopper off.
        ForbiddenPhrase = "forbidden_phrase",
        /// 违规承诺: a promise the shop's policy does not allow, or an absolute guarantee.
        UnauthorizedPromise = "unauthorized_promise",
        /// 敏感内容: leading the shopper off the platform, review manipulation, abuse, illegal
        /// content.
        Sensitive = "sensitive",
        /// 个人信息: a full phone number, street address, ID number or bank card number.
        PersonalData = "personal_data",
    }
);

/// One problem found in an agent's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub label: QaLabel,
    /// The rule that fired, stable for counting and appeals: `forbidden.refusal`,
    /// `promise.return_window`, `promise.shipping`, `promise.delivery`, `promise.compensation`,
    /// `promise.price_protection`, `promise.guarantee`, `sensitive.off_platform`,
    /// `sensitive.review`, `sensitive.abuse`, `sensitive.illegal`, `personal.phone`,
    /// `personal.address`, `personal.id_card`, `personal.bank_card`.
    pub rule: String,
    /// Char offsets `[start, end)` into the message as typed.
    pub start: usize,
    pub end: usize,
    /// Why it is a problem, in the agent's language (zh-CN).
    pub reason: String,
    /// A better phrasing to offer in one click, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

/// The shop's service policy that agents' promises are checked against. Stored as the
/// `policy` settings section; missing fields take the defaults below (the demo shop's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShopPolicy {
    /// 无理由退货 window, in days.
    pub return_days: u32,
    /// The shop ships within this many hours of payment (its guarantee).
    pub ship_within_hours: u32,
    /// Orders paid before this shop-time hour ship the same day.
    pub cutoff_hour: u8,
    /// The most extra money (红包, 补偿, 返现) an agent may offer on their own, in yuan.
    pub compensation_limit_yuan: u32,
    /// 价保 window, in days.
    pub price_protection_days: u32,
}

impl Default for ShopPolicy {
    fn default() -> Self {
        ShopPolicy {
            return_days: 7,
            ship_within_hours: 48,
            cutoff_hour: 16,
            compensation_limit_yuan: 20,
            price_protection_days: 15,
        }
    }
}

/// What is wrong with a policy: the field and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    pub field: &'static str,
    pub message: &'static str,
}

impl ShopPolicy {
    pub fn validate(&self) -> Result<(), PolicyError> {
        let err = |field, message| Err(PolicyError { field, message });
        if self.return_days > 365 {
            return err("return_days", "must be at most 365");
        }
        if self.ship_within_hours == 0 || self.ship_within_hours > 24 * 90 {
            return err("ship_within_hours", "must be between 1 and 2160");
        }
        if self.cutoff_hour > 24 {
            return err("cutoff_hour", "must be an hour from 0 to 24");
        }
        if self.compensation_limit_yuan > 100_000 {
            return err("compensation_limit_yuan", "must be at most 100000");
        }
        if self.price_protection_days > 365 {
            return err("price_protection_days", "must be at most 365");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_defaults_fill_missing_fields_and_unknown_ones_are_refused() {
        let p: ShopPolicy = serde_json::from_str(r#"{"return_days": 3}"#).expect("parses");
        assert_eq!(p.return_days, 3);
        assert_eq!(p.cutoff_hour, 16);
        assert!(serde_json::from_str::<ShopPolicy>(r#"{"return_dayz": 3}"#).is_err());
        assert!(p.validate().is_ok());
        let bad = ShopPolicy {
            cutoff_hour: 25,
            ..ShopPolicy::default()
        };
        assert_eq!(bad.validate().map_err(|e| e.field), Err("cutoff_hour"));
    }

    #[test]
    fn findings_round_trip_with_their_label_names() {
        let f = Finding {
            label: QaLabel::UnauthorizedPromise,
            rule: "promise.return_window".to_owned(),
            start: 2,
            end: 7,
            reason: "承诺15天无理由退货，店铺政策是7天".to_owned(),
            suggestion: None,
        };
        let json = serde_json::to_string(&f).expect("serialises");
        assert!(json.contains(r#""label":"unauthorized_promise""#), "{json}");
        assert_eq!(serde_json::from_str::<Finding>(&json).expect("parses"), f);
    }
}

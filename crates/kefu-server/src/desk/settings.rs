//! A shop's service rules: SLA targets and staffed hours, how long an agent may stay silent
//! before the conversation goes back to the queue, the daily red line, the average handling
//! time behind wait estimates, and which topics each skill group serves. Stored as the
//! `service` settings section; missing fields take their defaults.

use kefu_engine::hours::Schedule;
use kefu_engine::sla::{RedLine, SlaPolicy};
use kefu_engine::triage::{SkillTopics, default_skills};
use kefu_store::{Store, StoreResult};
use serde::{Deserialize, Serialize};

/// The settings section the service rules are stored under.
pub const SERVICE_SETTINGS: &str = "service";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceSettings {
    /// First response target (platform rule: 15 s).
    pub first_response_s: u32,
    /// Reply interval target for later messages (40 s).
    pub reply_interval_s: u32,
    /// The 3-minute reply target and the shop-time hours it is counted in ([from, to)).
    pub three_minute_s: u32,
    pub counted_from_hour: u8,
    pub counted_to_hour: u8,
    /// Share of a target at which the agent is warned (0.8).
    pub warn_share: f64,
    /// An assigned agent silent this long while the shopper waits loses the conversation to
    /// the front of the queue.
    pub silence_limit_s: u32,
    /// Breaches by one agent in a shop day that flag them to the supervisor (red line).
    pub breaches_per_day: u32,
    /// Breaches in a shop day that warn the supervisor first (yellow line); below the red.
    pub yellow_breaches_per_day: u32,
    /// One conversation's average handling time, for the shopper's wait estimate.
    pub average_handle_s: u32,
    pub hours: Schedule,
    /// Skill groups and their topics, first match wins.
    pub skills: Vec<SkillTopics>,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        let sla = SlaPolicy::default();
        ServiceSettings {
            first_response_s: (sla.first_response_ms / 1000) as u32,
            reply_interval_s: (sla.reply_interval_ms / 1000) as u32,
            three_minute_s: (sla.three_minute_ms / 1000) as u32,
            counted_from_hour: sla.counted_from_hour,
            counted_to_hour: sla.counted_to_hour,
            warn_share: sla.warn_share,
            silence_limit_s: 120,
            breaches_per_day: RedLine::default().breaches_per_day as u32,
            yellow_breaches_per_day: 2,
            average_handle_s: 300,
            hours: Schedule::default(),
            skills: default_skills(),
        }
    }
}

/// What is wrong with the settings: the field and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    pub field: String,
    pub message: String,
}

impl ServiceSettings {
    pub fn validate(&self) -> Result<(), SettingsError> {
        let err = |field: &str, message: &str| {
            Err(SettingsError {
                field: field.to_owned(),
                message: message.to_owned(),
            })
        };
        let seconds = [
            ("first_response_s", self.first_response_s, 3_600),
            ("reply_interval_s", self.reply_interval_s, 3_600),
            ("three_minute_s", self.three_minute_s, 3_600),
            ("silence_limit_s", self.silence_limit_s, 86_400),
            ("average_handle_s", self.average_handle_s, 86_400),
        ];
        for (field, value, max) in seconds {
            if value == 0 || value > max {
                return err(field, &format!("seconds from 1 to {max}"));
            }
        }
        if !(self.warn_share > 0.0 && self.warn_share < 1.0) {
            return err("warn_share", "a share between 0 and 1, such as 0.8");
        }
        if self.counted_from_hour >= self.counted_to_hour || self.counted_to_hour > 24 {
            return err("counted_from_hour", "hours 0 to 24 with from before to");
        }
        if self.breaches_per_day == 0 || self.breaches_per_day > 1_000 {
            return err("breaches_per_day", "from 1 to 1000");
        }
        if self.yellow_breaches_per_day == 0
            || self.yellow_breaches_per_day >= self.breaches_per_day
        {
            return err(
                "yellow_breaches_per_day",
                "at least 1 and fewer than breaches_per_day",
            );
        }
        if let Err(e) = self.hours.validate() {
            return err(&format!("hours.{}", e.field), &e.message);
        }
        for (i, group) in self.skills.iter().enumerate() {
            if group.skill.trim().is_empty() || group.skill.chars().count() > 32 {
                return err(&format!("skills[{i}].skill"), "1 to 32 characters");
            }
            if group.topics.iter().any(|t| t.trim().is_empty()) {
                return err(&format!("skills[{i}].topics"), "topics may not be empty");
            }
        }
        Ok(())
    }

    /// The SLA clocks' policy.
    pub fn sla(&self) -> SlaPolicy {
        SlaPolicy {
            first_response_ms: i64::from(self.first_response_s) * 1000,
            reply_interval_ms: i64::from(self.reply_interval_s) * 1000,
            three_minute_ms: i64::from(self.three_minute_s) * 1000,
            warn_share: self.warn_share,
            counted_from_hour: self.counted_from_hour,
            counted_to_hour: self.counted_to_hour,
            hours: self.hours.clone(),
        }
    }

    pub fn red_line(&self) -> RedLine {
        RedLine {
            breaches_per_day: self.breaches_per_day as usize,
        }
    }

    pub fn silence_limit_ms(&self) -> i64 {
        i64::from(self.silence_limit_s) * 1000
    }

    pub fn average_handle_ms(&self) -> i64 {
        i64::from(self.average_handle_s) * 1000
    }
}

/// The shop's stored settings; unreadable ones (an older version's) fall back to the
/// defaults, logged, rather than stopping routing.
pub async fn load(store: &dyn Store, shop: kefu_domain::ShopId) -> StoreResult<ServiceSettings> {
    Ok(match store.shop_setting(shop, SERVICE_SETTINGS).await? {
        Some(body) => serde_json::from_str(&body).unwrap_or_else(|e| {
            tracing::warn!(%shop, error = %e, "stored service settings unreadable; using defaults");
            ServiceSettings::default()
        }),
        None => ServiceSettings::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_platform_rules_and_bad_values_name_their_field() {
        let s = ServiceSettings::default();
        s.validate().expect("valid");
        assert_eq!(s.sla(), SlaPolicy::default());
        let bad = |f: fn(&mut ServiceSettings)| {
            let mut s = ServiceSettings::default();
            f(&mut s);
            s.validate().expect_err("invalid").field
        };
        assert_eq!(bad(|s| s.first_response_s = 0), "first_response_s");
        assert_eq!(bad(|s| s.warn_share = 1.0), "warn_share");
        assert_eq!(bad(|s| s.counted_to_hour = 25), "counted_from_hour");
        assert_eq!(
            bad(|s| s.hours.offline_due = "later".into()),
            "hours.offline_due"
        );
        assert_eq!(bad(|s| s.skills[0].skill = " ".into()), "skills[0].skill");
        let partial: ServiceSettings =
            serde_json::from_str(r#"{"silence_limit_s": 60}"#).expect("partial");
        assert_eq!(
            (partial.silence_limit_s, partial.first_response_s),
            (60, 15)
        );
    }
}

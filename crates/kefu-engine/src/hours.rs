//! Staffed hours: when people serve, the days off, and when a message left outside them (留言)
//! is due — the set time (10:00 by default) of the next staffed day.
//!
//! All in shop time (UTC+8). A schedule is plain data checked once on input
//! ([`Schedule::validate`]); its questions are pure functions of a [`Timestamp`].

use kefu_domain::{SHOP_UTC_OFFSET_MS, Timestamp};
use serde::{Deserialize, Serialize};

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;
/// How far ahead a staffed day is looked for before giving up (a schedule with every day off).
const LOOKAHEAD_DAYS: i64 = 366;

/// A staffed window on some weekdays: `from` to `to` in `HH:MM` shop time (`to` may be
/// `24:00`); days are 1 = Monday … 7 = Sunday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shift {
    pub days: Vec<u8>,
    pub from: String,
    pub to: String,
}

/// A shop's staffed hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    pub shifts: Vec<Shift>,
    /// Days off, `YYYY-MM-DD` shop date (春节, 国庆 …).
    pub holidays: Vec<String>,
    /// When offline messages are due on the next staffed day, `HH:MM`.
    pub offline_due: String,
}

impl Default for Schedule {
    /// Every day 08:00–23:00, the hours the platforms count; offline messages due 10:00.
    fn default() -> Self {
        Schedule {
            shifts: vec![Shift {
                days: (1..=7).collect(),
                from: "08:00".into(),
                to: "23:00".into(),
            }],
            holidays: Vec::new(),
            offline_due: "10:00".into(),
        }
    }
}

/// What is wrong with a schedule, naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleError {
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for ScheduleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ScheduleError {}

/// Minutes after midnight of `HH:MM` (00:00 to 24:00).
fn minutes(s: &str) -> Option<i64> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    let total = h * 60 + m;
    (h >= 0 && (0..60).contains(&m) && total <= 24 * 60).then_some(total)
}

/// The shop day (days since 1970-01-01) of `YYYY-MM-DD`.
fn shop_date(s: &str) -> Option<i64> {
    let bytes = s.as_bytes();
    let shaped = s.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    shaped
        .then(|| Timestamp::parse_flexible(s))
        .flatten()
        .map(Timestamp::shop_day)
}

/// 1 = Monday … 7 = Sunday; 1970-01-01 was a Thursday.
fn weekday(shop_day: i64) -> u8 {
    ((shop_day + 3).rem_euclid(7) + 1) as u8
}

impl Schedule {
    /// Checks every field; the first problem found.
    pub fn validate(&self) -> Result<(), ScheduleError> {
        let err = |field: String, message: &str| ScheduleError {
            field,
            message: message.to_owned(),
        };
        if self.shifts.is_empty() {
            return Err(err(
                "shifts".into(),
                "at least one staffed window is needed",
            ));
        }
        for (i, shift) in self.shifts.iter().enumerate() {
            if shift.days.is_empty() || shift.days.iter().any(|d| !(1..=7).contains(d)) {
                return Err(err(
                    format!("shifts[{i}].days"),
                    "days are 1 (Monday) to 7 (Sunday)",
                ));
            }
            let (Some(from), Some(to)) = (minutes(&shift.from), minutes(&shift.to)) else {
                return Err(err(
                    format!("shifts[{i}]"),
                    "times are HH:MM, 00:00 to 24:00",
                ));
            };
            if from >= to {
                return Err(err(format!("shifts[{i}]"), "from must be before to"));
            }
        }
        for (i, day) in self.holidays.iter().enumerate() {
            if shop_date(day).is_none() {
                return Err(err(format!("holidays[{i}]"), "dates are YYYY-MM-DD"));
            }
        }
        match minutes(&self.offline_due) {
            Some(m) if m < 24 * 60 => Ok(()),
            _ => Err(err("offline_due".into(), "a time of day, HH:MM")),
        }
    }

    fn is_holiday(&self, shop_day: i64) -> bool {
        self.holidays.iter().any(|h| shop_date(h) == Some(shop_day))
    }

    /// The staffed windows of a shop day, in minutes after midnight.
    fn windows(&self, shop_day: i64) -> impl Iterator<Item = (i64, i64)> + '_ {
        let day = weekday(shop_day);
        let off = self.is_holiday(shop_day);
        self.shifts
            .iter()
            .filter(move |s| !off && s.days.contains(&day))
            .filter_map(|s| Some((minutes(&s.from)?, minutes(&s.to)?)))
    }

    /// Whether people serve at `at`.
    pub fn is_staffed(&self, at: Timestamp) -> bool {
        let local = at.as_millis() + SHOP_UTC_OFFSET_MS;
        let minute = local.rem_euclid(DAY_MS) / MINUTE_MS;
        self.windows(at.shop_day())
            .any(|(from, to)| (from..to).contains(&minute))
    }

    /// When a message left at `at` is due: the first set time after `at` that falls on a
    /// staffed day. A schedule without a staffed day in a year gives a day after `at`.
    pub fn offline_due(&self, at: Timestamp) -> Timestamp {
        let due = minutes(&self.offline_due).unwrap_or(10 * 60);
        let first = at.shop_day();
        (first..first + LOOKAHEAD_DAYS)
            .filter(|d| self.windows(*d).next().is_some())
            .map(|d| Timestamp::shop_day_start(d).plus_millis(due * MINUTE_MS))
            .find(|t| *t > at)
            .unwrap_or_else(|| at.plus_millis(DAY_MS))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse_flexible(s).expect("time")
    }

    #[test]
    fn staffed_hours_follow_shifts_weekdays_and_holidays() {
        let s = Schedule {
            shifts: vec![
                Shift {
                    days: vec![1, 2, 3, 4, 5],
                    from: "09:00".into(),
                    to: "22:00".into(),
                },
                Shift {
                    days: vec![6],
                    from: "10:00".into(),
                    to: "18:00".into(),
                },
            ],
            holidays: vec!["2026-12-03".into()],
            offline_due: "10:00".into(),
        };
        s.validate().expect("valid");
        // 2026-12-02 is a Wednesday.
        assert!(s.is_staffed(at("2026-12-02 09:00:00")));
        assert!(!s.is_staffed(at("2026-12-02 08:59:59")));
        assert!(!s.is_staffed(at("2026-12-02 22:00:00")));
        assert!(!s.is_staffed(at("2026-12-03 12:00:00")), "a holiday");
        assert!(s.is_staffed(at("2026-12-05 17:59:00")), "Saturday");
        assert!(!s.is_staffed(at("2026-12-06 12:00:00")), "Sunday is off");

        // Wednesday night → Thursday is a holiday → Friday 10:00.
        assert_eq!(
            s.offline_due(at("2026-12-02 23:30:00")),
            at("2026-12-04 10:00:00")
        );
        // Before opening on a staffed day: the same day.
        assert_eq!(
            s.offline_due(at("2026-12-02 07:00:00")),
            at("2026-12-02 10:00:00")
        );
        // Saturday evening → Monday.
        assert_eq!(
            s.offline_due(at("2026-12-05 19:00:00")),
            at("2026-12-07 10:00:00")
        );
    }

    #[test]
    fn the_default_is_every_day_eight_to_eleven_and_bad_schedules_name_the_field() {
        let s = Schedule::default();
        s.validate().expect("valid");
        assert!(s.is_staffed(at("2026-12-06 08:00:00")));
        assert!(!s.is_staffed(at("2026-12-06 23:00:00")));
        assert_eq!(
            s.offline_due(at("2026-12-06 23:10:00")),
            at("2026-12-07 10:00:00")
        );
        assert_eq!(
            s.offline_due(at("2026-12-07 00:10:00")),
            at("2026-12-07 10:00:00")
        );

        let bad = |f: fn(&mut Schedule)| {
            let mut s = Schedule::default();
            f(&mut s);
            s.validate().expect_err("invalid").field
        };
        assert_eq!(bad(|s| s.shifts.clear()), "shifts");
        assert_eq!(bad(|s| s.shifts[0].days = vec![0]), "shifts[0].days");
        assert_eq!(bad(|s| s.shifts[0].to = "25:00".into()), "shifts[0]");
        assert_eq!(bad(|s| s.shifts[0].from = "23:30".into()), "shifts[0]");
        assert_eq!(bad(|s| s.holidays = vec!["12-03".into()]), "holidays[0]");
        assert_eq!(bad(|s| s.offline_due = "24:00".into()), "offline_due");

        let mondays_round_the_clock = Schedule {
            holidays: Vec::new(),
            shifts: vec![Shift {
                days: vec![1],
                from: "00:00".into(),
                to: "24:00".into(),
            }],
            offline_due: "10:00".into(),
        };
        assert!(mondays_round_the_clock.is_staffed(at("2026-12-07 23:59:00")));
    }

    proptest::proptest! {
        /// Whatever a shop types, validation answers without panicking, and a schedule that
        /// passes always gives a due time after the message, on a staffed day, at the set time.
        #[test]
        fn any_schedule_is_checked_and_valid_ones_give_a_later_due_time(
            from in "[0-9:]{0,6}",
            to in "[0-9:]{0,6}",
            due in "[0-9:]{0,6}",
            days in proptest::collection::vec(0u8..9, 0..8),
            holiday in "[0-9-]{0,11}",
            at in 1_700_000_000_000i64..1_900_000_000_000,
        ) {
            let s = Schedule {
                shifts: vec![Shift { days, from, to }],
                holidays: vec![holiday],
                offline_due: due,
            };
            if s.validate().is_ok() {
                let at = Timestamp::from_millis(at);
                let next = s.offline_due(at);
                proptest::prop_assert!(next > at);
                proptest::prop_assert!(next.as_millis() - at.as_millis() <= LOOKAHEAD_DAYS * DAY_MS);
                let _ = s.is_staffed(at);
            }
        }
    }
}

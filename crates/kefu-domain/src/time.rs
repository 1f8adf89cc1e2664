//! Time as the domain sees it: milliseconds since the Unix epoch, serialised as RFC 3339.
//! Logic never reads the wall clock itself; it is handed a [`Clock`] or a [`Timestamp`].

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Shop time is China Standard Time: UTC+8, no daylight saving.
pub const SHOP_UTC_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// An instant, in whole milliseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    pub const fn from_millis(ms: i64) -> Self {
        Self(ms)
    }

    pub const fn as_millis(self) -> i64 {
        self.0
    }

    pub const fn plus_millis(self, ms: i64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Parses an RFC 3339 string such as `2026-11-25T08:00:00Z`.
    pub fn parse_rfc3339(s: &str) -> Option<Self> {
        let t = OffsetDateTime::parse(s, &Rfc3339).ok()?;
        i64::try_from(t.unix_timestamp_nanos() / 1_000_000)
            .ok()
            .map(Self)
    }

    /// Parses RFC 3339, or `YYYY-MM-DD HH:MM:SS` / `YYYY-MM-DD` as written by Chinese platform
    /// exports, which are in China Standard Time (UTC+8, no daylight saving).
    pub fn parse_flexible(s: &str) -> Option<Self> {
        let s = s.trim();
        if let Some(t) = Self::parse_rfc3339(s) {
            return Some(t);
        }
        let local = if s.len() == 10 {
            format!("{s}T00:00:00+08:00")
        } else {
            format!("{}+08:00", s.replacen(' ', "T", 1))
        };
        Self::parse_rfc3339(&local)
    }

    /// The hour of day in shop time (0–23).
    pub fn shop_hour(self) -> u8 {
        ((self.0 + SHOP_UTC_OFFSET_MS).rem_euclid(DAY_MS) / 3_600_000) as u8
    }

    /// The shop-time day, counted from 1970-01-01.
    pub fn shop_day(self) -> i64 {
        (self.0 + SHOP_UTC_OFFSET_MS).div_euclid(DAY_MS)
    }

    /// 00:00 shop time of a shop day (see [`Timestamp::shop_day`]).
    pub const fn shop_day_start(day: i64) -> Self {
        Self(day * DAY_MS - SHOP_UTC_OFFSET_MS)
    }

    /// 00:00 shop time of this instant's shop day.
    pub fn shop_midnight(self) -> Self {
        Self::shop_day_start(self.shop_day())
    }

    /// The time as a shopper in China reads it, to the minute: `2026-12-01 18:05` (UTC+8).
    pub fn to_shop_minute(self) -> String {
        let local = self.plus_millis(SHOP_UTC_OFFSET_MS);
        match OffsetDateTime::from_unix_timestamp_nanos(i128::from(local.0) * 1_000_000) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute()
            ),
            Err(_) => self.to_rfc3339(),
        }
    }

    /// RFC 3339 in UTC, always with milliseconds (`2026-11-25T08:00:00.000Z`), so every
    /// timestamp kefu sends has the same shape.
    pub fn to_rfc3339(self) -> String {
        match OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.0) * 1_000_000) {
            Ok(t) => format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.millisecond()
            ),
            Err(_) => self.0.to_string(),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse_rfc3339(&s)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 timestamp"))
    }
}

/// The clock port. Production uses [`SystemClock`]; tests and simulations use [`ManualClock`].
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// Reads the operating system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        Timestamp(i64::try_from(nanos / 1_000_000).unwrap_or(i64::MAX))
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.as_millis()))
    }

    pub fn advance_millis(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.as_millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_keeps_millis() {
        let t = Timestamp::from_millis(1_764_057_600_123);
        let s = t.to_rfc3339();
        assert_eq!(s, "2025-11-25T08:00:00.123Z");
        assert_eq!(Timestamp::parse_rfc3339(&s), Some(t));
    }

    #[test]
    fn whole_seconds_keep_their_milliseconds() {
        let t = Timestamp::parse_rfc3339("2026-11-20T02:00:00Z").expect("valid");
        assert_eq!(t.to_rfc3339(), "2026-11-20T02:00:00.000Z");
    }

    #[test]
    fn platform_export_times_are_china_standard_time() {
        let utc = Timestamp::parse_rfc3339("2026-11-20T04:00:00Z");
        assert_eq!(Timestamp::parse_flexible("2026-11-20 12:00:00"), utc);
        assert_eq!(Timestamp::parse_flexible(" 2026-11-20T04:00:00Z "), utc);
        assert_eq!(
            Timestamp::parse_flexible("2026-11-20"),
            Timestamp::parse_rfc3339("2026-11-19T16:00:00Z")
        );
        assert_eq!(Timestamp::parse_flexible("2026-13-45 99:00:00"), None);
        assert_eq!(Timestamp::parse_flexible("昨天"), None);
    }

    #[test]
    fn shop_minutes_are_china_standard_time() {
        let t = Timestamp::parse_rfc3339("2026-11-30T16:05:59Z").expect("valid");
        assert_eq!(t.to_shop_minute(), "2026-12-01 00:05");
        assert_eq!(t.shop_hour(), 0);
        let before = t.plus_millis(-360_000);
        assert_eq!(
            (before.shop_hour(), before.shop_day() + 1),
            (23, t.shop_day())
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(Timestamp::from_millis(1_000));
        assert_eq!(c.now().as_millis(), 1_000);
        c.advance_millis(500);
        assert_eq!(c.now().as_millis(), 1_500);
    }
}

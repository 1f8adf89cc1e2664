//! Calendar arithmetic in China Standard Time (UTC+8, no daylight saving), because shoppers'
//! evenings, weekends and the shop's shipping cut-off are local, while [`Timestamp`] is UTC.

use kefu_domain::Timestamp;

pub(crate) const SECOND: i64 = 1_000;
pub(crate) const MINUTE: i64 = 60 * SECOND;
pub(crate) const HOUR: i64 = 60 * MINUTE;
pub(crate) const DAY: i64 = 24 * HOUR;
const CST: i64 = 8 * HOUR;

/// Days since 1970-01-01 in local time.
pub(crate) fn local_day(t: Timestamp) -> i64 {
    (t.as_millis() + CST).div_euclid(DAY)
}

/// The instant the local day containing `t` starts.
pub(crate) fn local_midnight(t: Timestamp) -> Timestamp {
    Timestamp::from_millis(local_day(t) * DAY - CST)
}

/// Local hour of day, 0..24.
pub(crate) fn local_hour(t: Timestamp) -> i64 {
    (t.as_millis() + CST).rem_euclid(DAY) / HOUR
}

/// Monday = 0 … Sunday = 6 (1970-01-01 was a Thursday).
pub(crate) fn weekday(t: Timestamp) -> i64 {
    (local_day(t) + 3).rem_euclid(7)
}

/// Local calendar date (year, month, day), by Howard Hinnant's civil-from-days algorithm.
pub(crate) fn local_date(t: Timestamp) -> (i64, i64, i64) {
    let z = local_day(t) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `11月25日` style, as agents write dates in chat.
pub(crate) fn month_day(t: Timestamp) -> String {
    let (_, m, d) = local_date(t);
    format!("{m}月{d}日")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_calendar_is_utc_plus_eight() {
        // 2025-11-25T08:00:00Z is 16:00 on Tuesday 25 November in Beijing.
        let t = Timestamp::from_millis(1_764_057_600_000);
        assert_eq!(local_date(t), (2025, 11, 25));
        assert_eq!(local_hour(t), 16);
        assert_eq!(weekday(t), 1);
        // 2025-11-25T17:00:00Z is already Wednesday in Beijing.
        let late = t.plus_millis(9 * HOUR);
        assert_eq!(local_date(late), (2025, 11, 26));
        assert_eq!(local_hour(local_midnight(late)), 0);
        assert_eq!(month_day(late), "11月26日");
    }
}

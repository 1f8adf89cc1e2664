//! Every generated instant lies in the 90-day window `[now − 90 days, now]`, for several seeds
//! and several `now` values, checked on raw milliseconds rather than on formatted timestamps.
//! Includes the targeted passes (the crisis hand-offs for allergy reports, complaints, refund
//! chasers), which are placed relative to their orders rather than to the window.

use kefu_demo::{DemoShop, generate};
use kefu_domain::conversation::replay;
use kefu_domain::{CustomerId, Event, Tier, Timestamp};
use std::collections::HashMap;

const DAY: i64 = 86_400_000;
const SEEDS: [u64; 4] = [1, 7, 42, 2026];

fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).expect("valid timestamp")
}

/// Checks one generated shop against its window; failure messages name the seed and `now`.
fn assert_inside_window(seed: u64, now: Timestamp) {
    let s: DemoShop = generate(seed, now);
    let hi = now.as_millis();
    let lo = hi - 90 * DAY;
    let ctx = format!("seed {seed}, now {now}");

    assert!(s.orders.len() >= 10_000, "{ctx}: {} orders", s.orders.len());
    for o in &s.orders {
        let times = [
            ("created", Some(o.created_at)),
            ("paid", o.paid_at),
            ("shipped", o.shipped_at),
            ("received", o.received_at),
            ("refunded", o.refunded_at),
        ];
        for (what, t) in times {
            if let Some(t) = t {
                let ms = t.as_millis();
                assert!(
                    (lo..=hi).contains(&ms),
                    "{ctx}: order {} {what} at {t} is {:.1} h outside [{lo}, {hi}]",
                    o.order_no,
                    outside_hours(ms, lo, hi),
                );
            }
        }
    }

    assert!(!s.events.is_empty(), "{ctx}: no events");
    for e in &s.events {
        let ms = e.at.as_millis();
        assert!(
            (lo..=hi).contains(&ms),
            "{ctx}: event {:?} ({}) at {} is {:.1} h outside [{lo}, {hi}]",
            e.id,
            kind(&e.event),
            e.at,
            outside_hours(ms, lo, hi),
        );
    }
    assert!(
        s.events
            .windows(2)
            .all(|w| w[0].at.as_millis() <= w[1].at.as_millis()),
        "{ctx}: log out of time order"
    );

    // The window fix must not lose the conversations the targeted passes make, nor break the
    // log: it still replays, the crisis team still has its cases, and no shopper ever has two
    // conversations open at once.
    let conversations = replay(&s.events).unwrap_or_else(|e| panic!("{ctx}: replay failed: {e:?}"));
    assert!(
        conversations.len() >= 300,
        "{ctx}: {} conversations",
        conversations.len()
    );
    let crises = conversations
        .values()
        .filter(|c| c.tier == Tier::Crisis)
        .count();
    assert!(crises >= 1, "{ctx}: no crisis conversation");

    let mut span: HashMap<_, (CustomerId, i64, i64)> = HashMap::new();
    for e in &s.events {
        let id = e.event.conversation();
        let ms = e.at.as_millis();
        let entry = span.entry(id).or_insert_with(|| {
            let Event::ConversationOpened { customer, .. } = &e.event else {
                panic!("{ctx}: conversation {id:?} does not start with ConversationOpened");
            };
            (*customer, ms, ms)
        });
        entry.2 = ms;
    }
    let mut by_customer: HashMap<CustomerId, Vec<(i64, i64)>> = HashMap::new();
    for (id, (customer, from, to)) in span {
        let to = if conversations[&id].state.is_open() {
            hi
        } else {
            to
        };
        by_customer.entry(customer).or_default().push((from, to));
    }
    for (customer, mut spans) in by_customer {
        spans.sort_unstable();
        assert!(
            spans.windows(2).all(|w| w[0].1 < w[1].0),
            "{ctx}: customer {customer:?} has overlapping conversations {spans:?}"
        );
    }
}

fn outside_hours(ms: i64, lo: i64, hi: i64) -> f64 {
    let by = if ms < lo { lo - ms } else { ms - hi };
    by as f64 / 3_600_000.0
}

fn kind(e: &Event) -> &'static str {
    match e {
        Event::ConversationOpened { .. } => "ConversationOpened",
        Event::MessagePosted { .. } => "MessagePosted",
        Event::Assigned { .. } => "Assigned",
        Event::Queued { .. } => "Queued",
        Event::Closed { .. } => "Closed",
        Event::BotDecided { .. } => "BotDecided",
        Event::BotRated { .. } => "BotRated",
        Event::Transferred { .. } => "Transferred",
        Event::SlaSignaled { .. } => "SlaSignaled",
        Event::PriorityRaised { .. } => "PriorityRaised",
    }
}

#[test]
fn every_event_and_order_is_inside_the_window_in_march() {
    let now = at("2026-03-15T06:30:00Z");
    for seed in SEEDS {
        assert_inside_window(seed, now);
    }
}

#[test]
fn every_event_and_order_is_inside_the_window_in_november() {
    let now = at("2026-11-25T19:03:58Z");
    for seed in SEEDS {
        assert_inside_window(seed, now);
    }
}

#[test]
fn every_event_and_order_is_inside_the_window_at_a_new_year_midnight() {
    // Local (UTC+8) midnight, so the window and the promotion start on day boundaries.
    let now = at("2024-12-31T16:00:00Z");
    for seed in SEEDS {
        assert_inside_window(seed, now);
    }
}

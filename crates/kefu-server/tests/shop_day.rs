//! A full shop day driven through the real pipeline: shoppers' messages through ingest,
//! agents' status changes, replies, transfers and closes through the same functions the API
//! calls, the desk's timers ticked by a manual clock, everything stored in SQLite.
//!
//! The day: a morning ramp from 08:00, a promotion at 10:00 with three times the usual volume,
//! a lunch gap (a third of the agents offline 12:00–13:30), an evening peak 20–22 h, agents
//! stepping away and coming back, and shoppers still writing at 23:00, after staffed hours,
//! whose messages become offline messages due 10:00 the next day.
//!
//! Checked every 5 simulated seconds: no eligible online agent with room while someone waits,
//! and nobody above their limit. At the end: every shopper message answered, waiting, or an
//! offline message; every SLA signal recorded once. The KPIs are printed (run with
//! `--nocapture`); `KEFU_SIM_PEAK` sets the busiest ordinary hour's shoppers (default 60).

use kefu_domain::*;
use kefu_engine::sla::SlaState;
use kefu_server::auth::hash_password;
use kefu_server::desk::{self, TransferRequest};
use kefu_server::ingest;
use kefu_store::Store;
use kefu_testkit::*;
use std::collections::{BTreeMap, HashMap, HashSet};

const STEP_MS: i64 = 5_000;
const MINUTE: i64 = 60_000;

/// A small deterministic generator (xorshift), so the day is the same on every run.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn between(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.unit() * (hi - lo) as f64) as i64
    }
}

const QUESTIONS: &[&str] = &[
    "你好，请问纸尿裤什么时候发货？",
    "我的快递到哪了，三天了还没到",
    "这款奶粉适合几个月的宝宝？",
    "收到的奶瓶有裂缝，怎么退换？",
    "有没有满减优惠券？",
    "尺码怎么选，宝宝12斤",
];
const FOLLOW_UPS: &[&str] = &[
    "好的，那大概要多久？",
    "还有别的颜色吗",
    "能便宜点吗",
    "谢谢",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The shopper writes again.
    Shopper,
    /// The holder closes it.
    Close,
}

struct Agenda {
    /// Planned agent replies: conversation → (agent, when).
    replies: HashMap<ConversationId, (AgentId, Timestamp)>,
    /// Planned shopper follow-ups and closes.
    later: BTreeMap<(Timestamp, u64), (ConversationId, Next)>,
    rounds: HashMap<ConversationId, u32>,
    seq: u64,
}

impl Agenda {
    fn plan(&mut self, at: Timestamp, c: ConversationId, next: Next) {
        self.seq += 1;
        self.later.insert((at, self.seq), (c, next));
    }
}

fn percentile(mut v: Vec<i64>, p: f64) -> i64 {
    if v.is_empty() {
        return 0;
    }
    v.sort_unstable();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shop_day_through_the_pipeline_keeps_its_invariants() {
    let peak: f64 = std::env::var("KEFU_SIM_PEAK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60.0);
    let app = TestApp::spawn(TestBackend::Sqlite).await;
    let (state, store, shop) = (&app.state, &app.store.store, app.shop.id());
    let hash = hash_password(PASSWORD).expect("hash");
    let mut staff = Vec::new();
    let skills = [["售前", "售后"], ["售后", "物流"], ["售前", "物流"]];
    for i in 0..8 {
        let mut a = agent(shop, &format!("agent{i}"), Role::Agent);
        a.skill_groups = skills[i % 3].iter().map(|s| (*s).to_owned()).collect();
        a.max_concurrent = 6;
        staff.push(a);
    }
    for i in 0..2 {
        let mut a = agent(shop, &format!("expert{i}"), Role::Expert);
        a.tier = Tier::Expert;
        a.max_concurrent = 4;
        staff.push(a);
    }
    for a in &staff {
        store.upsert_agent(a, &hash).await.expect("agent");
    }
    // 08:00 shop time.
    let day_start = app.clock.now().plus_millis(-2 * 3_600_000);
    app.clock.set(day_start);
    let desk = state.desk.for_shop(&**store, shop).await.expect("desk");
    let mut status: HashMap<AgentId, AgentStatus> = HashMap::new();
    for a in &staff {
        desk::set_status(state, shop, a.id, AgentStatus::Online)
            .await
            .expect("online");
        status.insert(a.id, AgentStatus::Online);
    }

    let mut rng = Rng(0x5eed_cafe);
    let mut agenda = Agenda {
        replies: HashMap::new(),
        later: BTreeMap::new(),
        rounds: HashMap::new(),
        seq: 0,
    };
    let mut customers: HashMap<ConversationId, Customer> = HashMap::new();
    let mut away_until: HashMap<AgentId, Timestamp> = HashMap::new();
    let (mut shoppers, mut max_waiting, mut transfers, mut checks) =
        (0usize, 0usize, 0usize, 0usize);
    let mut violations: Vec<String> = Vec::new();
    let end = day_start.plus_millis(17 * 3_600_000); // 01:00
    let mut now = day_start;
    // Until 01:00, then until the replies agents have started are sent.
    while now < end || (!agenda.replies.is_empty() && now < end.plus_millis(3_600_000)) {
        let minute = (now.as_millis() - day_start.as_millis()) / MINUTE;
        let hour = 8 + minute / 60;
        let on_minute = (now.as_millis() - day_start.as_millis()) % MINUTE == 0;

        // Shoppers arrive.
        let rate = peak * kefu_engine::sim::demand(hour) / 3_600_000.0 * STEP_MS as f64;
        // Poisson arrivals in this step (Knuth's method; the rate per step is small).
        let (floor, mut p, mut arrivals) = ((-rate).exp(), rng.unit(), 0);
        while p > floor && arrivals < 20 {
            arrivals += 1;
            p *= rng.unit();
        }
        for _ in 0..arrivals {
            shoppers += 1;
            let c = Customer::first_contact(shop, format!("sim-{shoppers}"), None, now);
            let c = store.ensure_customer(&c).await.expect("customer");
            let text = QUESTIONS[rng.between(0, QUESTIONS.len() as i64) as usize];
            let got = ingest::shopper_message(
                state,
                &c,
                Channel::Widget,
                None,
                MessageText::parse(text).expect("text"),
                None,
            )
            .await
            .expect("shopper message");
            customers.insert(got.posted.conversation.id, c);
        }

        // Staffing: lunch, stepping away, coming back.
        if on_minute {
            let lunch = (12 * 60..13 * 60 + 30).contains(&(8 * 60 + minute));
            for (i, a) in staff.iter().enumerate() {
                let current = status[&a.id];
                let wanted = if lunch && i % 3 == 0 {
                    AgentStatus::Offline
                } else if current == AgentStatus::Away {
                    if away_until.get(&a.id).is_some_and(|t| *t <= now) {
                        AgentStatus::Online
                    } else {
                        AgentStatus::Away
                    }
                } else if current == AgentStatus::Online && rng.unit() < 1.0 / 150.0 {
                    away_until.insert(a.id, now.plus_millis(rng.between(3, 9) * MINUTE));
                    AgentStatus::Away
                } else if hour >= 23 {
                    // The shift ends at 23:00: people finish what they hold, take nothing new.
                    AgentStatus::Busy
                } else {
                    AgentStatus::Online
                };
                if wanted != current {
                    desk::set_status(state, shop, a.id, wanted)
                        .await
                        .expect("status");
                    status.insert(a.id, wanted);
                }
            }
        }

        // Agents plan replies to what they owe; away and offline agents do not reply.
        for c in store.open_conversations(shop).await.expect("open") {
            if c.state != ConversationState::Assigned {
                agenda.replies.remove(&c.id);
                continue;
            }
            let Some(agent) = c.assigned_agent else {
                continue;
            };
            let present = matches!(
                status.get(&agent),
                Some(AgentStatus::Online | AgentStatus::Busy)
            );
            match agenda.replies.get(&c.id) {
                Some((planned, _)) if *planned == agent => {}
                _ if present => {
                    let typing = rng.between(3_000, 25_000);
                    agenda
                        .replies
                        .insert(c.id, (agent, now.plus_millis(typing)));
                }
                _ => {}
            }
        }
        let due: Vec<(ConversationId, AgentId)> = agenda
            .replies
            .iter()
            .filter(|(_, (_, at))| *at <= now)
            .map(|(c, (a, _))| (*c, *a))
            .collect();
        for (c, agent_id) in due {
            agenda.replies.remove(&c);
            let Some(conversation) = store.conversation(shop, c).await.expect("read") else {
                continue;
            };
            if conversation.state != ConversationState::Assigned
                || conversation.assigned_agent != Some(agent_id)
                || !matches!(
                    status.get(&agent_id),
                    Some(AgentStatus::Online | AgentStatus::Busy)
                )
            {
                continue;
            }
            let agent = staff.iter().find(|a| a.id == agent_id).expect("staff");
            let rounds = agenda.rounds.entry(c).or_default();
            *rounds += 1;
            if *rounds == 1 && agent.tier == Tier::Standard && rng.unit() < 0.04 {
                let moved = desk::transfer(
                    state,
                    agent,
                    c,
                    TransferRequest {
                        to_agent: None,
                        to_tier: Some(Tier::Expert),
                        to_skill: None,
                        reason: "需要专家处理".into(),
                    },
                )
                .await;
                if moved.is_ok() {
                    transfers += 1;
                    continue;
                }
            }
            ingest::agent_reply(
                state,
                agent,
                c,
                MessageText::parse("亲，我来帮您看一下").expect("text"),
            )
            .await
            .expect("reply");
            let next = if *rounds < 3 && rng.unit() < 0.55 {
                Next::Shopper
            } else {
                Next::Close
            };
            let after = match next {
                Next::Shopper => rng.between(15_000, 90_000),
                Next::Close => rng.between(60_000, 180_000),
            };
            agenda.plan(now.plus_millis(after), c, next);
        }

        // Follow-ups and closes.
        let ripe: Vec<(Timestamp, u64)> = agenda
            .later
            .range(..=(now, u64::MAX))
            .map(|(k, _)| *k)
            .collect();
        for key in ripe {
            let Some((c, next)) = agenda.later.remove(&key) else {
                continue;
            };
            let Some(conversation) = store.conversation(shop, c).await.expect("read") else {
                continue;
            };
            match next {
                Next::Shopper if conversation.state.is_open() => {
                    let customer = &customers[&c];
                    let text = FOLLOW_UPS[rng.between(0, FOLLOW_UPS.len() as i64) as usize];
                    ingest::shopper_message(
                        state,
                        customer,
                        Channel::Widget,
                        None,
                        MessageText::parse(text).expect("text"),
                        None,
                    )
                    .await
                    .expect("follow-up");
                }
                Next::Close if conversation.state == ConversationState::Waiting => {
                    let holder = conversation.assigned_agent.expect("held");
                    let agent = staff.iter().find(|a| a.id == holder).expect("staff");
                    ingest::close(state, agent, c).await.expect("close");
                }
                _ => {}
            }
        }

        desk::tick(state).await;
        let wrong = desk.violations();
        checks += 1;
        if !wrong.is_empty() {
            violations.push(format!("{}: {}", now.to_shop_minute(), wrong.join("; ")));
        }
        max_waiting = max_waiting.max(desk.waiting());
        app.clock.advance_millis(STEP_MS);
        now = app.clock.now();
    }
    assert!(
        violations.is_empty(),
        "{} violations, first: {:?}",
        violations.len(),
        violations.first()
    );

    // Read the day back from the log.
    let mut log = Vec::new();
    let mut after = 0;
    loop {
        let page = store.events(shop, after, 1_000).await.expect("log");
        let Some(last) = page.last() else { break };
        after = last.seq;
        log.extend(page.into_iter().map(|e| e.envelope));
    }
    let policy = desk.settings().sla();
    let mut by_conversation: HashMap<ConversationId, Vec<&Envelope>> = HashMap::new();
    for e in &log {
        by_conversation
            .entry(e.event.conversation())
            .or_default()
            .push(e);
    }
    let (mut frt, mut counted, mut within, mut warnings, mut breaches) = (Vec::new(), 0, 0, 0, 0);
    let (mut offline, mut sent_back, mut unanswered) = (0, 0, 0);
    let mut fired = HashSet::new();
    for (id, events) in &by_conversation {
        let mut sla = SlaState::default();
        let first_shopper = events
            .iter()
            .find(|e| {
                matches!(
                    e.event,
                    Event::MessagePosted {
                        sender: Sender::Shopper,
                        ..
                    }
                )
            })
            .map(|e| e.at);
        let mut first_reply = None;
        for e in events {
            if let Some(done) = sla.apply(e, &policy)
                && done.counted
            {
                counted += 1;
                within += usize::from(done.wait_ms() <= policy.three_minute_ms);
            }
            match &e.event {
                Event::MessagePosted {
                    sender: Sender::Agent { .. },
                    ..
                } if first_reply.is_none() => {
                    first_reply = Some(e.at);
                }
                Event::SlaSignaled { signal, .. } => {
                    assert!(
                        fired.insert((*id, signal.burst, signal.clock, signal.level)),
                        "a timer fired twice: {signal:?}"
                    );
                    match signal.level {
                        SlaLevel::Warning => warnings += 1,
                        SlaLevel::Breach => breaches += 1,
                    }
                }
                Event::Queued {
                    sent_back: Some(_), ..
                } => sent_back += 1,
                _ => {}
            }
        }
        if let (Some(asked), Some(replied)) = (first_shopper, first_reply) {
            frt.push(replied.as_millis() - asked.as_millis());
        }
        // Every shopper message is answered, or waits (for a person, or as an offline message).
        let conversation = store
            .conversation(shop, *id)
            .await
            .expect("read")
            .expect("exists");
        if let Some(burst) = &sla.open {
            if burst.due.is_some() {
                offline += 1;
            } else if conversation.state != ConversationState::Queued {
                unanswered += 1;
            }
        }
    }
    println!(
        "shop day through the pipeline (peak {peak}/h): {shoppers} shoppers, {} events, FRT p50 {:.1} s p90 {:.1} s, 3-minute reply rate {:.3} ({within}/{counted}), max queue {max_waiting}, {warnings} warnings, {breaches} breaches, {sent_back} sent back, {transfers} transferred, {offline} offline messages, {checks} invariant checks, 0 violations",
        log.len(),
        percentile(frt.clone(), 0.5) as f64 / 1000.0,
        percentile(frt, 0.9) as f64 / 1000.0,
        within as f64 / counted.max(1) as f64,
    );
    assert_eq!(
        unanswered, 0,
        "shopper messages neither answered, waiting nor offline"
    );
    assert!(offline > 0, "the 23:00 shoppers left offline messages");
    assert!(
        sent_back > 0 && transfers > 0,
        "the day exercised send-backs and transfers"
    );
    assert!(shoppers > 100);
}

//! `kefu bench route`: the cost of one routing decision in a big shop at its peak — 500 agents
//! in three tiers with skill groups, everyone at their limit, 5,000 conversations waiting. Each
//! round an agent finishes a conversation (a seat frees up), the router assigns the next
//! waiting one, and a new shopper joins the queue, so the queue stays full.

use crate::bench::pct;
use anyhow::Result;
use kefu_domain::{AgentId, AgentStatus, ConversationId, Priority, Tier, Timestamp};
use kefu_engine::{Need, Router, Seat};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    #[arg(long, default_value_t = 500)]
    agents: usize,
    #[arg(long, default_value_t = 5_000)]
    waiting: usize,
    /// Decisions timed.
    #[arg(long, default_value_t = 20_000)]
    decisions: usize,
}

const SKILLS: &[&str] = &["售前", "售后", "物流", "奶粉", "纸尿裤"];

#[derive(Debug, Serialize)]
struct Figures {
    what: &'static str,
    agents: usize,
    waiting: usize,
    /// Assignment calls timed: one per conversation assigned, and one per change that found
    /// nothing to assign.
    decisions: usize,
    assign_p50_us: f64,
    assign_p99_us: f64,
    assign_max_us: f64,
    enqueue_p99_us: f64,
    position_p99_us: f64,
}

fn need(rng: &mut StdRng) -> (Need, Priority) {
    let tier = match rng.gen_range(0..100) {
        0..=84 => Tier::Standard,
        85..=97 => Tier::Expert,
        _ => Tier::Crisis,
    };
    let skill = (rng.gen_range(0..3) > 0).then(|| SKILLS[rng.gen_range(0..SKILLS.len())]);
    let priority = Priority::ALL[rng.gen_range(0..Priority::ALL.len())];
    (
        Need {
            tier,
            skill: skill.map(str::to_owned),
        },
        priority,
    )
}

/// Assigns until nobody waiting can be served, as the pipeline does after every change,
/// timing each decision (the last one finds nothing to do).
fn settle(router: &mut Router, times: &mut Vec<f64>, held: &mut Vec<ConversationId>) {
    loop {
        let t = Instant::now();
        let made = router.assign_next();
        times.push(t.elapsed().as_secs_f64() * 1e6);
        match made {
            Some((c, _)) => held.push(c),
            None => break,
        }
    }
}

pub fn route(args: RouteArgs) -> Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut router = Router::new();
    let mut held: Vec<ConversationId> = Vec::new();
    for i in 0..args.agents {
        let tier = match i * 100 / args.agents.max(1) {
            0..=79 => Tier::Standard,
            80..=95 => Tier::Expert,
            _ => Tier::Crisis,
        };
        let skills = (0..rng.gen_range(1..=2))
            .map(|_| SKILLS[rng.gen_range(0..SKILLS.len())].to_owned())
            .collect();
        let seat = Seat {
            agent: AgentId::new(),
            tier,
            skills,
            max_concurrent: rng.gen_range(3..=8),
            status: AgentStatus::Online,
        };
        let agent = seat.agent;
        router.upsert_agent(seat.clone());
        for _ in 0..seat.max_concurrent {
            let c = ConversationId::new();
            router.take(c, agent)?;
            held.push(c);
        }
    }
    let mut clock = 0i64;
    while router.waiting() < args.waiting {
        clock += 1;
        let (n, p) = need(&mut rng);
        router.enqueue(ConversationId::new(), &n, p, Timestamp::from_millis(clock))?;
        router.assign_all();
    }
    let mut assign = Vec::with_capacity(args.decisions);
    let mut enqueue = Vec::with_capacity(args.decisions);
    let mut position = Vec::with_capacity(args.decisions);
    let mut probe = ConversationId::new();
    for _ in 0..args.decisions {
        let k = rng.gen_range(0..held.len());
        let done = held.swap_remove(k);
        router.release(done);
        settle(&mut router, &mut assign, &mut held);
        clock += 1;
        let (n, p) = need(&mut rng);
        let c = ConversationId::new();
        let t = Instant::now();
        router.enqueue(c, &n, p, Timestamp::from_millis(clock))?;
        enqueue.push(t.elapsed().as_secs_f64() * 1e6);
        settle(&mut router, &mut assign, &mut held);
        if router.position(probe).is_none() {
            probe = c;
        }
        let t = Instant::now();
        std::hint::black_box(router.position(probe));
        position.push(t.elapsed().as_secs_f64() * 1e6);
    }
    for times in [&mut assign, &mut enqueue, &mut position] {
        times.sort_by(f64::total_cmp);
    }
    let v = router.violations();
    anyhow::ensure!(v.is_empty(), "routing invariants broken: {v:?}");
    let figures = Figures {
        what: "kefu: one routing decision (a seat frees, the next waiting conversation is assigned)",
        agents: args.agents,
        waiting: router.waiting(),
        decisions: assign.len(),
        assign_p50_us: pct(&assign, 0.5),
        assign_p99_us: pct(&assign, 0.99),
        assign_max_us: pct(&assign, 1.0),
        enqueue_p99_us: pct(&enqueue, 0.99),
        position_p99_us: pct(&position, 0.99),
    };
    println!("{}", serde_json::to_string(&figures)?);
    Ok(())
}

#[derive(Debug, clap::Args)]
pub struct DayArgs {
    #[arg(long, default_value_t = 7)]
    seed: u64,
    #[arg(long, default_value_t = 24)]
    agents: usize,
    /// Shoppers per hour at the busiest ordinary hour (the promotion hour has three times this).
    #[arg(long, default_value_t = 180.0)]
    peak_per_hour: f64,
}

/// `kefu bench shop-day`: a simulated shop day through routing and the SLA clocks; prints the
/// day's KPIs and fails if an invariant broke.
pub fn shop_day(args: DayArgs) -> Result<()> {
    let plan = kefu_engine::sim::DayPlan {
        seed: args.seed,
        agents: args.agents,
        peak_per_hour: args.peak_per_hour,
        ..kefu_engine::sim::DayPlan::default()
    };
    let started = Instant::now();
    let report = kefu_engine::sim::simulate(&plan);
    let mut line = serde_json::to_value(&report)?;
    line["seconds"] = serde_json::json!((started.elapsed().as_secs_f64() * 100.0).round() / 100.0);
    println!("{line}");
    anyhow::ensure!(
        report.violations.is_empty(),
        "routing invariants broken: {:?}",
        report.violations
    );
    Ok(())
}

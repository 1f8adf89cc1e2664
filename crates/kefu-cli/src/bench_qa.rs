//! `kefu bench qa`: the live lint's cost per agent message on the server — the check the
//! reply box asks for as the agent types, and the one every sent reply goes through.

use anyhow::{Context, Result};
use kefu_engine::qa::{eval, lint::Linter};
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct QaArgs {
    /// Labelled agent messages (`kefu eval qa`'s format); their texts and policies are linted.
    #[arg(
        long,
        default_value = "crates/kefu-engine/tests/data/qa/qa_messages_dev.jsonl"
    )]
    data: PathBuf,
    /// Timed passes over the messages after one warm-up pass.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

pub fn qa(args: QaArgs) -> Result<()> {
    let source = std::fs::read_to_string(&args.data)
        .with_context(|| format!("reading {}", args.data.display()))?;
    let examples = eval::parse(&source).map_err(|e| anyhow::anyhow!("{e}"))?;
    anyhow::ensure!(
        !examples.is_empty(),
        "no messages in {}",
        args.data.display()
    );
    let contexts: Vec<_> = examples.iter().map(eval::Example::context).collect();

    let started = Instant::now();
    let linter = Linter::bundled()?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;

    // Warm-up, then each message timed on its own so the tail shows.
    let mut findings = 0usize;
    for (ex, ctx) in examples.iter().zip(&contexts) {
        findings += linter.lint(&ex.text, ctx).len();
    }
    let mut samples: Vec<f64> = Vec::with_capacity(examples.len() * args.rounds);
    let total = Instant::now();
    for _ in 0..args.rounds.max(1) {
        for (ex, ctx) in examples.iter().zip(&contexts) {
            let t = Instant::now();
            findings += linter.lint(&ex.text, ctx).len();
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
    }
    let secs = total.elapsed().as_secs_f64();
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    let chars: usize = examples.iter().map(|e| e.text.chars().count()).sum();
    println!(
        "{}",
        serde_json::json!({
            "bench": "qa_lint",
            "messages": examples.len(),
            "chars_per_message": round(chars as f64 / examples.len() as f64, 1),
            "rounds": args.rounds,
            "load_ms": round(load_ms, 1),
            "us_per_message_mean": round(secs * 1e6 / samples.len() as f64, 1),
            "us_p50": round(at(0.5), 1),
            "us_p99": round(at(0.99), 1),
            "us_max": round(at(1.0), 1),
            "messages_per_second": round(samples.len() as f64 / secs, 0),
            "findings": findings,
        })
    );
    Ok(())
}

fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

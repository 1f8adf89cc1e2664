//! `kefu bench text`: the full analysis (normalise, segment, lexicons, entities, sentiment,
//! emotion) on one core, and the same lines through the Python peers (jieba + SnowNLP) in the
//! same run, as a ratio.

use anyhow::{Context, Result};
use kefu_domain::{Event, Timestamp};
use kefu_text::analysis::Analyzer;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct TextArgs {
    /// One message per line. Default: the demo shop's conversation messages (shoppers, agents
    /// and bot, generated, so the bench runs from a fresh clone).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Passes over the corpus for kefu (the Python peers make one).
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// The Python interpreter with jieba and SnowNLP (see ../shared/peers/README.md).
    #[arg(long, default_value = "/tmp/peers/bin/python")]
    python: PathBuf,
    /// The peer script.
    #[arg(long, default_value = "../shared/peers/analysis_peer.py")]
    peer: PathBuf,
}

pub fn text(args: TextArgs) -> Result<()> {
    let lines = match &args.data {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("reading {}", path.display()))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| l.split_once('\t').map_or(l, |(_, text)| text).to_owned())
            .collect(),
        None => demo_messages(),
    };
    anyhow::ensure!(!lines.is_empty(), "the corpus is empty");
    let bytes: usize = lines.iter().map(String::len).sum();

    let started = Instant::now();
    let analyzer = Analyzer::bundled()?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;

    // One warm-up pass, then timed passes; the sum of scores keeps the work observable.
    let mut checksum = 0.0f64;
    for line in &lines {
        checksum += f64::from(analyzer.analyze(line).sentiment.score);
    }
    let started = Instant::now();
    for _ in 0..args.rounds {
        for line in &lines {
            checksum += f64::from(analyzer.analyze(line).sentiment.score);
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let analysed = lines.len() * args.rounds;
    let kefu_lps = analysed as f64 / secs;
    let kefu_mbps = (bytes * args.rounds) as f64 / secs / 1e6;
    println!(
        "{}",
        serde_json::json!({
            "engine": "kefu", "lines": lines.len(), "rounds": args.rounds,
            "bytes_per_line": bytes as f64 / lines.len() as f64,
            "load_ms": round(load_ms, 1),
            "lines_per_second": round(kefu_lps, 0),
            "mb_per_second": round(kefu_mbps, 3),
            "us_per_line": round(secs * 1e6 / analysed as f64, 2),
            "checksum": round(checksum, 1),
        })
    );

    let Some(peer) = run_peer(&args, &lines)? else {
        return Ok(());
    };
    let peer_lps = peer["lines_per_second"].as_f64().unwrap_or(f64::NAN);
    println!("{peer}");
    println!(
        "{}",
        serde_json::json!({"ratio_lines_per_second": round(kefu_lps / peer_lps, 1)})
    );
    Ok(())
}

/// Runs the Python peer on the same lines; `None` (with a note) when it is not installed.
fn run_peer(args: &TextArgs, lines: &[String]) -> Result<Option<serde_json::Value>> {
    let mut corpus = tempfile::NamedTempFile::new()?;
    for line in lines {
        std::io::Write::write_all(&mut corpus, line.as_bytes())?;
        std::io::Write::write_all(&mut corpus, b"\n")?;
    }
    python_peer(&args.python, &args.peer, &[corpus.path()])
}

/// Runs a Python peer script with `files` as arguments and reads the JSON object on the last
/// line it prints; `None` (with a note) when the interpreter or the script is missing.
pub fn python_peer(
    python: &Path,
    script: &Path,
    files: &[&Path],
) -> Result<Option<serde_json::Value>> {
    if !python.exists() || !script.exists() {
        eprintln!(
            "peer skipped: {} or {} is missing (see ../shared/peers/README.md)",
            python.display(),
            script.display()
        );
        return Ok(None);
    }
    let output = Command::new(python)
        .arg(script)
        .args(files)
        .output()
        .context("running the Python peer")?;
    anyhow::ensure!(
        output.status.success(),
        "the peer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let last = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or_default()
        .to_owned();
    Ok(Some(
        serde_json::from_str(&last).context("reading the peer's JSON")?,
    ))
}

/// Every message of the demo shop's past conversations.
fn demo_messages() -> Vec<String> {
    let now = Timestamp::from_millis(1_764_028_800_000); // 2025-11-25T00:00:00Z: any fixed day
    kefu_demo::generate(42, now) // the seed `kefu demo` uses by default
        .events
        .into_iter()
        .filter_map(|e| match e.event {
            Event::MessagePosted { text, .. } => Some(text.as_str().to_owned()),
            _ => None,
        })
        .collect()
}

fn round(x: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (x * scale).round() / scale
}

//! Text-engine commands: `kefu analyze`, `kefu eval sentiment|sensitive` and
//! `kefu train sentiment`.

use anyhow::{Context, Result};
use kefu_text::analysis::Analyzer;
use kefu_text::lexicon::LexiconKind;
use kefu_text::sentiment::{self, SentimentModel, TrainOptions};
use serde::Serialize;
use std::collections::BTreeSet;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Eval {
    /// Sentiment accuracy and macro-F1 on `label<TAB>text` lines (0 negative, 1 positive).
    Sentiment {
        #[arg(long)]
        data: PathBuf,
        /// A model file from `kefu train sentiment`; default: the bundled model.
        #[arg(long)]
        model: Option<PathBuf>,
    },
    /// Sensitive-word precision and recall on `categories<TAB>text` lines (`-` = none), each
    /// text also tried with the usual evasions (separators, zero-width characters, full-width).
    Sensitive {
        #[arg(long)]
        data: PathBuf,
        /// Only every other line: `even` (lines 2, 4, …) or `odd`; all lines when absent.
        #[arg(long)]
        half: Option<Half>,
        /// Also print each miss and false alarm, one JSON line each.
        #[arg(long)]
        verbose: bool,
    },
    /// The FAQ bot on labelled questions: top-1, recall@5, automatic answers and their
    /// precision, hand-offs of questions the knowledge base cannot answer.
    Faq(crate::faq::FaqArgs),
    /// Builds a FAQ evaluation set from a knowledge base's own similar questions.
    FaqSplit(crate::faq::SplitArgs),
    /// Builds a FAQ evaluation set from paraphrase groups (InsuranceQA's clusters).
    FaqClusters(crate::faq::ClustersArgs),
    /// The live lint on labelled agent messages: one JSON line with precision and recall
    /// overall and per label. Each input line is `{"text", "policy"?, "labels"}`; the policy
    /// keys are `return_days`, `ship_within_hours`, `cutoff_hour`, `now_hour`,
    /// `compensation_limit_yuan` and `price_protection_days` (the demo shop's when absent).
    Qa {
        #[arg(long)]
        data: PathBuf,
        /// Also print each line the lint got wrong, one JSON line each, before the figures.
        #[arg(long)]
        verbose: bool,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Half {
    Odd,
    Even,
}

#[derive(Debug, clap::Subcommand)]
pub enum Train {
    /// Trains the sentiment model on `label<TAB>text` lines and writes the model file.
    Sentiment {
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "crates/kefu-text/models/sentiment.bin")]
        out: PathBuf,
        /// Keep this fraction of the data out of training (a seeded shuffle, the same split
        /// `train_sentiment --dev` uses for 0.1) and write it to `--held-out-file`, so the
        /// model can be checked on reviews it has not seen.
        #[arg(long, requires = "held_out_file")]
        hold_out: Option<f64>,
        #[arg(long)]
        held_out_file: Option<PathBuf>,
    },
    /// Fits the FAQ re-ranker on a knowledge base's own similar questions and writes it: the
    /// bundled file is the ranker of a shop whose base is too small to fit its own.
    Ranker {
        /// One entry per line: `{"id", "question", "similar": [..], "answer"}`.
        #[arg(long, default_value = "crates/kefu-demo/data/kb.jsonl")]
        kb: PathBuf,
        #[arg(long, default_value = "crates/kefu-knowledge/models/ranker.json")]
        out: PathBuf,
    },
}

/// `kefu analyze`: one JSON analysis per stdin line.
pub fn analyze() -> Result<()> {
    let analyzer = Analyzer::bundled()?;
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in stdin.lines() {
        let line = line.context("stdin is not UTF-8 text")?;
        serde_json::to_writer(&mut out, &analyzer.analyze(&line))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

pub fn eval(which: Eval) -> Result<()> {
    match which {
        Eval::Sentiment { data, model } => eval_sentiment(&data, model.as_deref()),
        Eval::Sensitive {
            data,
            half,
            verbose,
        } => eval_sensitive(&data, half, verbose),
        Eval::Faq(args) => crate::faq::eval(&args),
        Eval::FaqSplit(args) => crate::faq::split(&args),
        Eval::FaqClusters(args) => crate::faq::clusters(&args),
        Eval::Qa { data, verbose } => eval_qa(&data, verbose),
    }
}

pub fn train(which: Train) -> Result<()> {
    match which {
        Train::Ranker { kb, out } => crate::faq::train_ranker(&kb, &out),
        Train::Sentiment {
            data,
            out,
            hold_out,
            held_out_file,
        } => {
            let mut examples = read_labelled(&data)?;
            if let (Some(fraction), Some(path)) = (hold_out, held_out_file) {
                let (kept, held) = sentiment::split(&examples, fraction, SPLIT_SEED);
                let lines: String = held
                    .iter()
                    .map(|e| format!("{}\t{}\n", u8::from(e.positive), e.text))
                    .collect();
                std::fs::write(&path, lines)
                    .with_context(|| format!("writing {}", path.display()))?;
                examples = kept;
            }
            let started = std::time::Instant::now();
            let model = SentimentModel::train(&examples, &TrainOptions::default());
            let bytes = model.to_bytes();
            std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
            println!(
                "{}",
                serde_json::json!({
                    "examples": examples.len(),
                    "bytes": bytes.len(),
                    "seconds": started.elapsed().as_secs_f64(),
                    "out": out.display().to_string(),
                })
            );
            Ok(())
        }
    }
}

/// The seed of the development split (the same as `train_sentiment --dev`).
const SPLIT_SEED: u64 = 7;

fn read_labelled(path: &Path) -> Result<Vec<sentiment::LabelledText>> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(sentiment::parse_labelled_tsv(&source)?)
}

/// Scores the full analysis (model and emotion lexicon together, as messages are scored in
/// the product) and, beside it, the model alone. A neutral reading counts by its sign.
fn eval_sentiment(data: &Path, model: Option<&Path>) -> Result<()> {
    let examples = read_labelled(data)?;
    let mut analyzer = Analyzer::bundled()?;
    if let Some(path) = model {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        analyzer = analyzer.with_model(SentimentModel::from_bytes(&bytes)?);
    }
    let mut full = Vec::with_capacity(examples.len());
    let mut alone = Vec::with_capacity(examples.len());
    for e in &examples {
        let a = analyzer.analyze(&e.text);
        full.push((a.sentiment.score >= 0.0, e.positive));
        let tokens: Vec<&str> = a.tokens.iter().map(String::as_str).collect();
        let p = analyzer.model().predict(&a.normalized, &tokens);
        alone.push((p.probability_positive >= 0.5, e.positive));
    }
    let report = sentiment::EvalReport::from_outcomes(full);
    let model_only = sentiment::EvalReport::from_outcomes(alone);
    let mut json = serde_json::to_value(report)?;
    json["model_only"] = serde_json::to_value(model_only)?;
    println!("{json}");
    Ok(())
}

/// One labelled shopper message of the sensitive-word corpus.
struct Labelled {
    line: usize,
    categories: BTreeSet<String>,
    text: String,
}

fn read_sensitive(path: &Path, half: Option<Half>) -> Result<Vec<Labelled>> {
    let source =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut rows = Vec::new();
    for (i, line) in source.lines().enumerate() {
        let number = i + 1;
        let keep = match half {
            None => true,
            Some(Half::Odd) => number % 2 == 1,
            Some(Half::Even) => number % 2 == 0,
        };
        if line.trim().is_empty() || line.starts_with('#') || !keep {
            continue;
        }
        let (labels, text) = line
            .split_once('\t')
            .with_context(|| format!("line {number}: expected categories<TAB>text"))?;
        let categories = labels
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty() && *c != "-")
            .map(|c| {
                if LexiconKind::Sensitive.categories().contains(&c) {
                    Ok(c.to_owned())
                } else {
                    anyhow::bail!("line {number}: unknown category {c:?}")
                }
            })
            .collect::<Result<_>>()?;
        rows.push(Labelled {
            line: number,
            categories,
            text: text.to_owned(),
        });
    }
    Ok(rows)
}

/// The evasions shoppers use to get a word past a filter, applied to a whole message:
/// separators between every two Chinese characters (`退 款`, `退-款`, `退…款`, `假_货`),
/// zero-width spaces between all characters, and full-width upper-case letters and digits.
fn evasions(text: &str) -> Vec<(&'static str, String)> {
    let han = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    let between = |sep: &str, only_han: bool| -> String {
        let mut out = String::with_capacity(text.len() * 2);
        let mut previous: Option<char> = None;
        for c in text.chars() {
            if previous.is_some_and(|p| !only_han || (han(p) && han(c))) {
                out.push_str(sep);
            }
            out.push(c);
            previous = Some(c);
        }
        out
    };
    let full_width: String = text
        .chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .to_uppercase();
    vec![
        ("plain", text.to_owned()),
        ("spaces", between(" ", true)),
        ("dashes", between("-", true)),
        ("dots", between("…", true)),
        ("underscores", between("_", true)),
        ("zero_width", between("\u{200b}", false)),
        ("full_width", full_width),
    ]
}

#[derive(Debug, Default, Serialize)]
struct Counts {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Counts {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        (a as f64 / b as f64 * 10_000.0).round() / 10_000.0
    }
}

fn eval_sensitive(data: &Path, half: Option<Half>, verbose: bool) -> Result<()> {
    let rows = read_sensitive(data, half)?;
    let analyzer = Analyzer::bundled()?;
    // Message level: is a risky message flagged at all, and is a flagged message risky?
    let mut messages = Counts::default();
    // Category level: each (message, category) pair.
    let mut categories = Counts::default();
    let mut by_evasion: std::collections::BTreeMap<&str, Counts> = Default::default();
    let mut variants = 0;
    for row in &rows {
        for (evasion, text) in evasions(&row.text) {
            variants += 1;
            let found: BTreeSet<String> = analyzer
                .analyze(&text)
                .hits_of(LexiconKind::Sensitive)
                .map(|h| h.category.to_owned())
                .collect();
            let (risky, flagged) = (!row.categories.is_empty(), !found.is_empty());
            let counts = by_evasion.entry(evasion).or_default();
            for c in [&mut messages, counts] {
                match (risky, flagged) {
                    (true, true) => c.tp += 1,
                    (false, true) => c.fp += 1,
                    (true, false) => c.fn_ += 1,
                    (false, false) => {}
                }
            }
            categories.tp += found.intersection(&row.categories).count();
            categories.fp += found.difference(&row.categories).count();
            categories.fn_ += row.categories.difference(&found).count();
            if verbose && evasion == "plain" && found != row.categories {
                println!(
                    "{}",
                    serde_json::json!({
                        "line": row.line, "text": row.text,
                        "expected": row.categories, "found": found,
                    })
                );
            }
        }
    }
    let per_evasion: serde_json::Map<String, serde_json::Value> = by_evasion
        .iter()
        .map(|(name, c)| {
            (
                (*name).to_owned(),
                serde_json::json!({"precision": c.precision(), "recall": c.recall()}),
            )
        })
        .collect();
    println!(
        "{}",
        serde_json::json!({
            "messages": rows.len(),
            "risky": rows.iter().filter(|r| !r.categories.is_empty()).count(),
            "variants": variants,
            "precision": messages.precision(),
            "recall": messages.recall(),
            "category_precision": categories.precision(),
            "category_recall": categories.recall(),
            "per_evasion": per_evasion,
        })
    );
    Ok(())
}

/// `kefu eval qa`.
fn eval_qa(data: &Path, verbose: bool) -> Result<()> {
    use kefu_engine::qa::{eval, lint::Linter};
    let source =
        std::fs::read_to_string(data).with_context(|| format!("cannot read {}", data.display()))?;
    let examples = eval::parse(&source).map_err(|e| anyhow::anyhow!("{}: {e}", data.display()))?;
    let linter = Linter::bundled()?;
    let (report, mistakes) = eval::evaluate(&linter, &examples);
    let mut out = BufWriter::new(std::io::stdout().lock());
    if verbose {
        for m in &mistakes {
            serde_json::to_writer(&mut out, m)?;
            out.write_all(b"\n")?;
        }
    }
    serde_json::to_writer(&mut out, &report)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

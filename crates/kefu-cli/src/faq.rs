//! FAQ-bot commands: `kefu eval faq`, and the two that build evaluation sets from data
//! (`kefu eval faq-split` from a knowledge base's own similar questions, `kefu eval
//! faq-clusters` from paraphrase groups such as InsuranceQA's).

use anyhow::{Context, Result, bail};
use kefu_knowledge::eval::{KbLine, Outcome, QueryLine, report};
use kefu_knowledge::{BotSettings, Doc, Index, Turn, decide};
use kefu_text::analysis::Analyzer;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct FaqArgs {
    /// Knowledge base: one `{"id", "question", "similar": [..], "answer"}` per line.
    #[arg(long)]
    kb: PathBuf,
    /// Questions: one `{"query", "expected"}` per line (`expected` null: must be handed off).
    #[arg(long)]
    queries: PathBuf,
    /// BM25 only, without the sentence encoder (to see what each part brings).
    #[arg(long)]
    lexical_only: bool,
    /// Bot thresholds as JSON (`{"answer_threshold": 0.6}`); the defaults otherwise.
    #[arg(long)]
    settings: Option<String>,
    /// Also print every query the bot got wrong, one JSON line each.
    #[arg(long)]
    verbose: bool,
    /// Also print the operating point at each answer threshold (0.05 steps), to choose the
    /// defaults on a training split.
    #[arg(long)]
    sweep: bool,
}

#[derive(Debug, clap::Args)]
pub struct SplitArgs {
    /// Knowledge base with similar questions (the demo shop's `crates/kefu-demo/data/kb.jsonl`).
    #[arg(long)]
    kb: PathBuf,
    /// Directory for `kb.jsonl` (what stays in the knowledge base) and `queries.jsonl`.
    #[arg(long)]
    out: PathBuf,
    /// Share of each entry's similar questions moved to the queries.
    #[arg(long, default_value_t = 0.3)]
    query_share: f64,
    /// Share of entries removed whole; their questions become out-of-scope queries.
    #[arg(long, default_value_t = 0.15)]
    out_of_scope_share: f64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

#[derive(Debug, clap::Args)]
pub struct ClustersArgs {
    /// Paraphrase groups: one `{"answer_id", "questions": [..], "answer"}` per line.
    #[arg(long)]
    clusters: PathBuf,
    /// Directory for `kb.jsonl` and `queries.jsonl`.
    #[arg(long)]
    out: PathBuf,
    /// Share of groups that become entries (their first question); the others' first
    /// questions are out-of-scope queries.
    #[arg(long, default_value_t = 0.7)]
    kb_share: f64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

fn read_jsonl<T: DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        out.push(
            serde_json::from_str(line)
                .with_context(|| format!("{}:{}: not a valid line", path.display(), n + 1))?,
        );
    }
    Ok(out)
}

fn write_jsonl<T: Serialize>(path: &Path, rows: &[T]) -> Result<()> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
    );
    for row in rows {
        serde_json::to_writer(&mut out, row)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// The sentence encoder the bot uses, or none for a lexical-only run.
pub fn embedder(
    lexical_only: bool,
) -> Result<Option<std::sync::Arc<dyn kefu_knowledge::Embedder>>> {
    if lexical_only {
        return Ok(None);
    }
    Ok(Some(
        kefu_knowledge::semantic::bundled().map_err(anyhow::Error::msg)?,
    ))
}

pub fn docs(kb: &[KbLine]) -> Vec<Doc> {
    kb.iter()
        .map(|e| Doc {
            id: e.id.clone(),
            questions: std::iter::once(e.question.clone())
                .chain(e.similar.iter().cloned())
                .collect(),
        })
        .collect()
}

/// `kefu train ranker`: fits the re-ranker on `kb`'s similar questions (with the sentence
/// encoder, as the bot runs) and writes its weights as JSON.
pub fn train_ranker(kb: &Path, out: &Path) -> Result<()> {
    let kb: Vec<KbLine> = read_jsonl(kb)?;
    let started = std::time::Instant::now();
    let index = Index::build(
        &docs(&kb),
        kefu_text::segment::Segmenter::new(),
        embedder(false)?,
        &mut HashMap::new(),
    );
    anyhow::ensure!(
        index.fitted(),
        "the knowledge base has too few similar questions to fit a ranker"
    );
    let json = serde_json::to_string_pretty(index.ranker())?;
    std::fs::write(out, json + "\n").with_context(|| format!("writing {}", out.display()))?;
    eprintln!(
        "fitted on {} entries in {} ms; written to {}",
        kb.len(),
        started.elapsed().as_millis(),
        out.display()
    );
    Ok(())
}

#[derive(Debug, Serialize)]
struct Line<'a> {
    #[serde(flatten)]
    report: kefu_knowledge::eval::FaqReport,
    semantic: bool,
    ranker_fitted: bool,
    entries: usize,
    build_ms: u128,
    queries_per_second: f64,
    /// Top-1 when the candidates are ordered by one signal alone.
    signal_top1: serde_json::Map<String, serde_json::Value>,
    settings: &'a BotSettings,
}

pub fn eval(args: &FaqArgs) -> Result<()> {
    let kb: Vec<KbLine> = read_jsonl(&args.kb)?;
    let queries: Vec<QueryLine> = read_jsonl(&args.queries)?;
    if kb.is_empty() {
        bail!("{} holds no entries", args.kb.display());
    }
    let settings: BotSettings = match &args.settings {
        Some(json) => serde_json::from_str(json).context("--settings is not valid JSON")?,
        None => BotSettings::default(),
    };
    settings.validate()?;
    let analyzer = Analyzer::bundled()?;
    let embedder = embedder(args.lexical_only)?;
    let started = Instant::now();
    let index = Index::build(
        &docs(&kb),
        analyzer.segmenter().clone(),
        embedder.clone(),
        &mut HashMap::new(),
    );
    let build_ms = started.elapsed().as_millis();
    let started = Instant::now();
    let mut runs = Vec::with_capacity(queries.len());
    for q in &queries {
        let analysis = analyzer.analyze(&q.query);
        let candidates = index.search(&q.query, 50);
        runs.push((q, analysis, candidates));
    }
    let secs = started.elapsed().as_secs_f64();
    let outcomes_at = |settings: &BotSettings| -> Vec<Outcome> {
        runs.iter()
            .map(|(q, analysis, candidates)| {
                let turn = Turn {
                    analysis,
                    candidates,
                    misses: 0,
                    vip: false,
                };
                Outcome::new(q.expected.clone(), candidates, decide(settings, &turn))
            })
            .collect()
    };
    let outcomes = outcomes_at(&settings);
    // How each signal alone would rank the pool: what the learned ranker adds over them.
    let mut signal_top1 = serde_json::Map::new();
    for (k, name) in [(0usize, "cos"), (3, "words"), (5, "bigrams")] {
        let (mut right, mut total) = (0usize, 0usize);
        for (q, _, candidates) in &runs {
            let Some(expected) = &q.expected else {
                continue;
            };
            total += 1;
            let best = candidates
                .iter()
                .max_by(|a, b| a.features[k].total_cmp(&b.features[k]));
            if best.is_some_and(|c| &c.id == expected) {
                right += 1;
            }
        }
        signal_top1.insert(
            name.to_owned(),
            serde_json::json!(((right as f64 / total.max(1) as f64) * 10_000.0).round() / 10_000.0),
        );
    }
    let mut out = std::io::stdout().lock();
    serde_json::to_writer(
        &mut out,
        &Line {
            report: report(&outcomes),
            semantic: embedder.is_some(),
            ranker_fitted: index.fitted(),
            entries: index.len(),
            build_ms,
            queries_per_second: (queries.len() as f64 / secs.max(1e-9)).round(),
            signal_top1,
            settings: &settings,
        },
    )?;
    writeln!(out)?;
    if args.sweep {
        for step in 1..20u8 {
            let threshold = f32::from(step) * 0.05;
            let at = BotSettings {
                answer_threshold: threshold,
                clarify_threshold: settings.clarify_threshold.min(threshold),
                ..settings
            };
            let r = report(&outcomes_at(&at));
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "answer_threshold": f64::from(step) / 20.0,
                    "auto_answer_rate": r.auto_answer_rate,
                    "auto_answer_precision": r.auto_answer_precision,
                    "out_of_scope_handoff": r.out_of_scope_handoff,
                    "clarify_rate": r.clarify_rate,
                }),
            )?;
            writeln!(out)?;
        }
    }
    if args.verbose {
        for ((q, _, candidates), o) in runs.iter().zip(&outcomes) {
            let answered = match &o.decision {
                kefu_knowledge::Decision::Answer { entry, .. } => Some(entry.as_str()),
                _ => None,
            };
            let wrong = match (&q.expected, answered) {
                (Some(e), Some(a)) => e != a,
                (Some(_), None) => true,
                (None, Some(_)) => true,
                (None, None) => false,
            };
            if wrong {
                serde_json::to_writer(
                    &mut out,
                    &serde_json::json!({
                        "query": q.query,
                        "expected": q.expected,
                        "decision": o.decision,
                        "top": candidates.iter().take(3).map(|c| serde_json::json!({
                            "id": c.id, "p": (c.probability * 1000.0).round() / 1000.0, "matched": c.matched,
                        })).collect::<Vec<_>>(),
                    }),
                )?;
                writeln!(out)?;
            }
        }
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct KbOut<'a> {
    id: &'a str,
    question: &'a str,
    similar: Vec<&'a str>,
    answer: &'a str,
}

#[derive(Debug, Serialize)]
struct QueryOut<'a> {
    query: &'a str,
    expected: Option<&'a str>,
}

/// Writes an evaluation set as `DIR/kb.jsonl` and `DIR/queries.jsonl` and prints its counts.
fn write_set(out: &Path, kb: &[KbOut<'_>], queries: &[QueryOut<'_>]) -> Result<()> {
    std::fs::create_dir_all(out)?;
    write_jsonl(&out.join("kb.jsonl"), kb)?;
    write_jsonl(&out.join("queries.jsonl"), queries)?;
    println!(
        "{}",
        serde_json::json!({"entries": kb.len(), "queries": queries.len(),
            "out_of_scope_queries": queries.iter().filter(|q| q.expected.is_none()).count()})
    );
    Ok(())
}

/// `kefu eval faq-split`: some similar questions of each entry become queries; some entries
/// leave the knowledge base and their questions become out-of-scope queries.
pub fn split(args: &SplitArgs) -> Result<()> {
    let kb: Vec<KbLine> = read_jsonl(&args.kb)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut order: Vec<usize> = (0..kb.len()).collect();
    order.shuffle(&mut rng);
    let oos_count = (kb.len() as f64 * args.out_of_scope_share).round() as usize;
    let oos: std::collections::HashSet<usize> = order[..oos_count].iter().copied().collect();
    let mut kb_out = Vec::new();
    let mut queries = Vec::new();
    for (i, e) in kb.iter().enumerate() {
        if oos.contains(&i) {
            queries.extend(
                std::iter::once(&e.question)
                    .chain(&e.similar)
                    .map(|q| QueryOut {
                        query: q,
                        expected: None,
                    }),
            );
            continue;
        }
        let mut similar: Vec<&str> = e.similar.iter().map(String::as_str).collect();
        similar.shuffle(&mut rng);
        let held = ((similar.len() as f64) * args.query_share).round() as usize;
        let held = held.min(similar.len().saturating_sub(1));
        let (test, keep) = similar.split_at(held);
        queries.extend(test.iter().map(|q| QueryOut {
            query: q,
            expected: Some(&e.id),
        }));
        kb_out.push(KbOut {
            id: &e.id,
            question: &e.question,
            similar: keep.to_vec(),
            answer: &e.answer,
        });
    }
    write_set(&args.out, &kb_out, &queries)
}

#[derive(Debug, serde::Deserialize)]
struct Cluster {
    answer_id: String,
    questions: Vec<String>,
    #[serde(default)]
    answer: String,
}

/// `kefu eval faq-clusters`: each kept group's first question is an entry and its other
/// questions are queries; the first question of every other group is an out-of-scope query.
pub fn clusters(args: &ClustersArgs) -> Result<()> {
    let groups: Vec<Cluster> = read_jsonl(&args.clusters)?;
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let mut order: Vec<usize> = (0..groups.len()).collect();
    order.shuffle(&mut rng);
    let keep = (groups.len() as f64 * args.kb_share).round() as usize;
    let mut kb_out = Vec::new();
    let mut queries = Vec::new();
    for (rank, &g) in order.iter().enumerate() {
        let group = &groups[g];
        let Some((first, rest)) = group.questions.split_first() else {
            continue;
        };
        if rank < keep {
            kb_out.push(KbOut {
                id: &group.answer_id,
                question: first,
                similar: Vec::new(),
                answer: &group.answer,
            });
            queries.extend(rest.iter().map(|q| QueryOut {
                query: q,
                expected: Some(&group.answer_id),
            }));
        } else {
            queries.push(QueryOut {
                query: first,
                expected: None,
            });
        }
    }
    write_set(&args.out, &kb_out, &queries)
}

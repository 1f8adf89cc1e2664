//! `kefu bench bot`: the bot's decision (text analysis, retrieval with the sentence encoder,
//! ranking, decision) per shopper question over a large knowledge base, and the same
//! questions through Python rank_bm25 + jieba in the same run.
//!
//! The knowledge base is the demo shop's 136 entries plus product-scoped entries made from the
//! demo catalogue (each product × an aspect × a pack variant, with three phrasings), up to
//! `--entries`: the shape of a large shop's 百问百答, where most entries are about one
//! product. The questions are the natural shopper queries of the FAQ evaluation.

use crate::faq::{docs, embedder};
use anyhow::{Context, Result};
use kefu_knowledge::eval::{KbLine, QueryLine};
use kefu_knowledge::{BotSettings, Index, Turn, decide};
use kefu_text::analysis::Analyzer;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

#[derive(Debug, clap::Args)]
pub struct BotArgs {
    /// Entries in the knowledge base.
    #[arg(long, default_value_t = 10_000)]
    entries: usize,
    #[arg(long, default_value = "crates/kefu-demo/data/kb.jsonl")]
    kb: PathBuf,
    #[arg(
        long,
        default_value = "crates/kefu-knowledge/tests/data/shopper_queries.jsonl"
    )]
    queries: PathBuf,
    /// Passes over the questions for kefu (the peer makes one).
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    #[arg(long, default_value = "/tmp/peers/bin/python")]
    python: PathBuf,
    #[arg(long, default_value = "../shared/peers/faq_peer.py")]
    peer: PathBuf,
    /// Also write the generated knowledge base here (JSONL), to evaluate it with `kefu eval faq`.
    #[arg(long)]
    save_kb: Option<PathBuf>,
}

/// What shoppers ask about one product, each with its phrasings (`{p}` is the product).
const ASPECTS: &[[&str; 4]] = &[
    [
        "{p}保质期多久",
        "{p}能放多久",
        "{p}过期时间是什么时候",
        "{p}开封后能用多久",
    ],
    [
        "{p}适合几个月宝宝",
        "{p}多大宝宝能用",
        "{p}新生儿能用吗",
        "{p}适用年龄",
    ],
    [
        "{p}有什么成分",
        "{p}配料表",
        "{p}含不含香精",
        "{p}成分安全吗",
    ],
    ["{p}怎么用", "{p}使用方法", "{p}一次用多少", "{p}用法用量"],
    [
        "{p}有现货吗",
        "{p}还有货吗",
        "{p}什么时候补货",
        "{p}缺货了吗",
    ],
    ["{p}多少钱", "{p}现在什么价", "{p}有优惠吗", "{p}能便宜点吗"],
    [
        "{p}是正品吗",
        "{p}怎么验真伪",
        "{p}有防伪码吗",
        "{p}是不是假的",
    ],
    [
        "{p}产地是哪里",
        "{p}哪里生产的",
        "{p}是进口的吗",
        "{p}国产还是进口",
    ],
    [
        "{p}怎么储存",
        "{p}要放冰箱吗",
        "{p}开封后怎么保存",
        "{p}怕不怕晒",
    ],
    [
        "{p}敏感肌能用吗",
        "{p}过敏宝宝能用吗",
        "{p}刺激吗",
        "{p}温和吗",
    ],
    ["{p}包装多大", "{p}一包多少", "{p}规格是多少", "{p}净含量"],
    [
        "{p}和别家比怎么样",
        "{p}好用吗",
        "{p}口碑怎么样",
        "{p}值得买吗",
    ],
    [
        "{p}能退吗",
        "{p}不合适能换吗",
        "{p}拆了能退吗",
        "{p}退换政策",
    ],
    [
        "{p}送什么赠品",
        "{p}有赠品吗",
        "{p}买两件送什么",
        "{p}有小样吗",
    ],
    [
        "{p}一次买几件划算",
        "{p}囤货买多少",
        "{p}大包装划算吗",
        "{p}买多有优惠吗",
    ],
    [
        "{p}能和别的一起发吗",
        "{p}单独发货吗",
        "{p}分开发吗",
        "{p}合并发货",
    ],
    [
        "{p}有没有味道",
        "{p}是什么味的",
        "{p}闻起来怎么样",
        "{p}有异味正常吗",
    ],
    [
        "{p}生产日期是多久的",
        "{p}是新货吗",
        "{p}日期新鲜吗",
        "{p}是哪个月生产的",
    ],
    [
        "{p}孕妇能用吗",
        "{p}大人能用吗",
        "{p}哺乳期能用吗",
        "{p}全家能用吗",
    ],
    [
        "{p}有说明书吗",
        "{p}有中文标签吗",
        "{p}有质检报告吗",
        "{p}有检测报告吗",
    ],
];
const VARIANTS: &[&str] = &[
    "",
    "大包装",
    "试用装",
    "礼盒装",
    "组合装",
    "家庭装",
    "旅行装",
    "新版",
];

fn knowledge_base(args: &BotArgs) -> Result<Vec<KbLine>> {
    let text = std::fs::read_to_string(&args.kb)
        .with_context(|| format!("reading {}", args.kb.display()))?;
    let mut kb: Vec<KbLine> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let demo = kefu_demo::generate(7, kefu_domain::Timestamp::from_millis(1_764_000_000_000));
    let products: Vec<String> = demo
        .products
        .iter()
        .map(|p| {
            p.name
                .split_whitespace()
                .next()
                .unwrap_or(&p.name)
                .to_owned()
        })
        .collect();
    let mut n = 0;
    'fill: for variant in VARIANTS {
        for product in &products {
            for aspect in ASPECTS {
                if kb.len() >= args.entries {
                    break 'fill;
                }
                n += 1;
                let p = format!("{product}{variant}");
                let mut phrasings = aspect.iter().map(|t| t.replace("{p}", &p));
                kb.push(KbLine {
                    id: format!("bench-{n}"),
                    question: phrasings.next().unwrap_or_default(),
                    similar: phrasings.collect(),
                    answer: format!("亲，关于{p}的这个问题，答案在这里哦"),
                });
            }
        }
    }
    kb.truncate(args.entries);
    Ok(kb)
}

#[derive(Debug, Serialize)]
struct Figures {
    what: &'static str,
    entries: usize,
    rows: usize,
    build_s: f64,
    queries: usize,
    p50_us: f64,
    p90_us: f64,
    p99_us: f64,
    max_us: f64,
    decisions_per_second: f64,
    /// Share of in-scope questions whose best candidate is right, in this large base (the
    /// speed must not be bought with accuracy).
    top1: f64,
}

pub fn bot(args: BotArgs) -> Result<()> {
    let kb = knowledge_base(&args)?;
    let queries: Vec<QueryLine> = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("reading {}", args.queries.display()))?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let analyzer = Analyzer::bundled()?;
    let started = Instant::now();
    let docs = docs(&kb);
    let rows = docs.iter().map(|d| d.questions.len()).sum();
    let index = Index::build(
        &docs,
        analyzer.segmenter().clone(),
        embedder(false)?,
        &mut HashMap::new(),
    );
    let build_s = started.elapsed().as_secs_f64();
    let settings = BotSettings::default();
    let mut times = Vec::with_capacity(queries.len() * args.rounds);
    let mut answered = 0usize;
    let mut right = 0usize;
    for round in 0..args.rounds.max(1) {
        for q in &queries {
            let t = Instant::now();
            let analysis = analyzer.analyze(&q.query);
            let candidates = index.search(&q.query, 5);
            let decision = decide(
                &settings,
                &Turn {
                    analysis: &analysis,
                    candidates: &candidates,
                    misses: 0,
                    vip: false,
                },
            );
            times.push(t.elapsed().as_secs_f64() * 1e6);
            answered += usize::from(decision.action() == "answer");
            if round == 0 && q.expected.is_some() {
                right += usize::from(candidates.first().map(|c| &c.id) == q.expected.as_ref());
            }
        }
    }
    std::hint::black_box(answered);
    times.sort_by(f64::total_cmp);
    let pct = |p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
    let total: f64 = times.iter().sum();
    let kefu = Figures {
        what: "kefu: analyse + encode + retrieve + rank + decide, one core",
        entries: kb.len(),
        rows,
        build_s: (build_s * 100.0).round() / 100.0,
        queries: times.len(),
        p50_us: pct(0.5).round(),
        p90_us: pct(0.9).round(),
        p99_us: pct(0.99).round(),
        max_us: pct(1.0).round(),
        decisions_per_second: (times.len() as f64 / (total / 1e6)).round(),
        top1: {
            let in_scope = queries.iter().filter(|q| q.expected.is_some()).count();
            (right as f64 / in_scope.max(1) as f64 * 1000.0).round() / 1000.0
        },
    };
    println!("{}", serde_json::to_string(&kefu)?);
    let mut kb_file = tempfile::NamedTempFile::new()?;
    for e in &kb {
        serde_json::to_writer(
            &mut kb_file,
            &serde_json::json!({"id": e.id, "question": e.question, "similar": e.similar, "answer": e.answer}),
        )?;
        kb_file.write_all(b"\n")?;
    }
    kb_file.flush()?;
    if let Some(path) = &args.save_kb {
        std::fs::copy(kb_file.path(), path)
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let Some(peer) = crate::bench_text::python_peer(
        &args.python,
        &args.peer,
        &[kb_file.path(), args.queries.as_path()],
    )?
    else {
        return Ok(());
    };
    let peer_qps = peer["queries_per_second"].as_f64().unwrap_or(f64::NAN);
    println!(
        "{}",
        serde_json::json!({"peer": peer["peer"], "queries_per_second": peer_qps,
            "peer_top1": peer["top1"], "peer_mean_ms": (1000.0 / peer_qps * 100.0).round() / 100.0})
    );
    println!(
        "{}",
        serde_json::json!({"ratio_decisions_per_second": ((kefu.decisions_per_second / peer_qps) * 10.0).round() / 10.0})
    );
    Ok(())
}

//! How fast the encoder is on short shopper questions, one at a time (the bot's path) and in
//! batches (indexing FAQs).
//!
//! ```text
//! cargo run --release -p kefu-encoder --example encode_bench            # the figures
//! cargo run --release -p kefu-encoder --example encode_bench -- --texts # the questions, one a line
//! ```
//!
//! The questions are built from fragments so that the same few hundred texts can be fed to
//! the Python reference for comparison.

use std::time::{Duration, Instant};

use kefu_encoder::Encoder;

const OPENERS: [&str; 6] = ["", "亲，", "你好，", "请问", "老板，", "客服在吗，"];
const QUESTIONS: [&str; 56] = [
    "什么时候发货",
    "几天能发出",
    "奶粉怎么冲泡",
    "可以改地址吗",
    "退款什么时候到账",
    "有没有优惠券",
    "能便宜点吗",
    "快递到哪了",
    "发票怎么开",
    "这个是正品吗",
    "尿不湿有大号的吗",
    "宝宝六个月能喝吗",
    "支持七天无理由退货吗",
    "包邮吗",
    "发什么快递",
    "能发顺丰吗",
    "收到的奶瓶是坏的",
    "怎么申请售后",
    "保质期到什么时候",
    "奶粉是几段的",
    "可以开专票吗",
    "满减活动还有吗",
    "下单后能取消吗",
    "为什么还没发货",
    "物流怎么一直不动",
    "退货地址是哪里",
    "运费谁出",
    "有赠品吗",
    "会员有折扣吗",
    "这款和那款有什么区别",
    "新生儿用哪个码",
    "湿巾是无香的吗",
    "能用花呗吗",
    "几号能到北京",
    "偏远地区发货吗",
    "可以货到付款吗",
    "少发了一件怎么办",
    "颜色发错了",
    "怎么联系人工客服",
    "价格保护怎么申请",
    "预售什么时候发",
    "库存还有吗",
    "能不能加急",
    "包装有破损",
    "可以换个尺码吗",
    "退款被拒绝了",
    "积分怎么用",
    "优惠券用不了",
    "这个奶粉含乳糖吗",
    "过敏宝宝能喝吗",
    "孕妇可以吃吗",
    "怎么储存比较好",
    "开封后能放多久",
    "有没有试用装",
    "是进口的吗",
    "订单显示已签收但没收到",
];
const CLOSERS: [&str; 5] = ["", "？", "呀", "啊？", "，急"];

/// A few hundred distinct questions of 5–20 characters.
fn texts() -> Vec<String> {
    let mut out = Vec::new();
    for (i, q) in QUESTIONS.iter().enumerate() {
        for k in 0..6 {
            let opener = OPENERS[(i + k) % OPENERS.len()];
            let closer = CLOSERS[(i * 3 + k) % CLOSERS.len()];
            let text = format!("{opener}{q}{closer}");
            if !out.contains(&text) {
                out.push(text);
            }
        }
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i].as_secs_f64() * 1e6
}

fn rss_mb() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map_or("?".to_owned(), |kb| format!("{:.0} MB", kb / 1024.0))
    };
    format!("rss {}, peak {}", field("VmRSS:"), field("VmHWM:"))
}

fn main() -> Result<(), kefu_encoder::EncoderError> {
    let texts = texts();
    if std::env::args().any(|a| a == "--texts") {
        for t in &texts {
            println!("{t}");
        }
        return Ok(());
    }

    let started = Instant::now();
    let encoder = Encoder::bundled()?;
    println!(
        "load: {:.0} ms ({})",
        started.elapsed().as_secs_f64() * 1e3,
        rss_mb()
    );

    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let tokens: usize = texts
        .iter()
        .map(|t| encoder.tokenizer().encode(t).len())
        .sum();
    println!(
        "{} questions, {:.1} chars and {:.1} pieces (with <s>, </s>) on average",
        texts.len(),
        chars as f64 / texts.len() as f64,
        tokens as f64 / texts.len() as f64
    );

    // warm up caches and the allocator
    for t in texts.iter().take(50) {
        std::hint::black_box(encoder.encode(t));
    }

    let mut tokenize = Vec::new();
    let mut single = Vec::new();
    for _ in 0..3 {
        for t in &texts {
            let started = Instant::now();
            std::hint::black_box(encoder.tokenizer().encode(t));
            tokenize.push(started.elapsed());
            let started = Instant::now();
            std::hint::black_box(encoder.encode(t));
            single.push(started.elapsed());
        }
    }
    tokenize.sort();
    single.sort();
    println!(
        "tokenize: p50 {:.1} µs, p99 {:.1} µs",
        percentile(&tokenize, 0.5),
        percentile(&tokenize, 0.99)
    );
    println!(
        "encode one query: p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs ({} runs)",
        percentile(&single, 0.5),
        percentile(&single, 0.99),
        percentile(&single, 1.0),
        single.len()
    );

    // Longer messages: several questions run together.
    for joined in [3, 6, 12, 24] {
        let mut times = Vec::new();
        let mut pieces = 0;
        for (i, _) in texts.iter().enumerate().take(60) {
            let long: String = (0..joined)
                .map(|j| texts[(i + j * 7) % texts.len()].as_str())
                .collect();
            pieces += encoder.tokenizer().encode(&long).len();
            let started = Instant::now();
            std::hint::black_box(encoder.encode(&long));
            times.push(started.elapsed());
        }
        times.sort();
        println!(
            "encode {joined:>2} questions run together ({:.0} pieces): p50 {:.0} µs",
            pieces as f64 / times.len() as f64,
            percentile(&times, 0.5)
        );
    }

    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let rounds = 5;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(encoder.encode_batch(&refs));
    }
    let per_sec = (rounds * refs.len()) as f64 / started.elapsed().as_secs_f64();
    println!("encode_batch: {per_sec:.0} sentences/s");
    println!("after: {}", rss_mb());
    Ok(())
}

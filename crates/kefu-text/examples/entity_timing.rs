//! How long `EntityExtractor::extract` takes on a typical ~50-char shopper message.
//!
//! `cargo run --release -p kefu-text --example entity_timing`

use std::hint::black_box;
use std::time::Instant;

use kefu_text::entities::EntityExtractor;
use kefu_text::normalize;

const MESSAGES: &[&str] = &[
    "亲，订单号2026111312345678901昨天下单的，说好48小时内发货，现在三天了还没动静",
    "顺丰单号SF1234567890123查不到物流，电话138-1234-5678，麻烦尽快处理一下谢谢",
    "双十一买的两百块的东西，7天无理由退货可以吗？退款99.9元什么时候到账啊亲",
    "这件衣服XL码还有吗，身高175体重70kg穿哪个尺码比较合适呢，买3件能便宜点吗",
];

fn main() {
    let extractor = EntityExtractor::new();
    let normalized: Vec<_> = MESSAGES.iter().map(|m| normalize(m)).collect();
    let rounds = 20_000;
    for n in &normalized {
        black_box(extractor.extract(n));
    }
    let started = Instant::now();
    for _ in 0..rounds {
        for n in &normalized {
            black_box(extractor.extract(black_box(n)));
        }
    }
    let calls = rounds * normalized.len();
    let per_call = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
    let chars: usize = MESSAGES.iter().map(|m| m.chars().count()).sum::<usize>() / MESSAGES.len();
    println!("extract: {per_call:.2} µs per message ({calls} calls, {chars} chars on average)");
    let started = Instant::now();
    for _ in 0..rounds {
        for m in MESSAGES {
            black_box(extractor.extract(&normalize(black_box(m))));
        }
    }
    let per_call = started.elapsed().as_secs_f64() * 1e6 / calls as f64;
    println!("normalize + extract: {per_call:.2} µs per message");
}

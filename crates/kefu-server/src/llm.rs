//! Optional answer phrasing by a large language model behind an OpenAI-compatible
//! chat-completions endpoint (vLLM, Ollama, a gateway to a hosted model).
//!
//! The knowledge base stays the source of truth: the model sees only the retrieved entries and
//! is told to answer from them alone, and what it writes is checked before a shopper sees it —
//! it must be a valid message, carry no forbidden or sensitive phrase, and every number in it
//! (prices, days, sizes) must appear in the entries or the question, since an invented number
//! is the costliest kind of wrong answer. Anything else — an error, a timeout, a refusal of the
//! checks — sends the plain retrieved answer. The ids of the entries it was grounded on are
//! logged with every call.

use crate::settings::LlmSettings;
use kefu_domain::MessageText;
use kefu_text::analysis::Analyzer;
use kefu_text::lexicon::LexiconKind;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// One retrieved entry the phrasing may use.
#[derive(Debug, Clone, Copy)]
pub struct Grounding<'a> {
    pub id: &'a str,
    pub question: &'a str,
    pub answer: &'a str,
}

/// Why the plain answer was sent instead of the model's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    Timeout,
    /// Connection refused, non-2xx status.
    Unreachable,
    /// Not the chat-completions shape, or no text.
    BadResponse,
    /// Empty, too long or with control characters.
    InvalidText,
    /// A forbidden or sensitive phrase.
    Unsafe,
    /// A number found in neither the entries nor the question.
    UngroundedNumber,
}

/// The text to send, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrased {
    pub text: String,
    /// `None` when the model's text is sent.
    pub fallback: Option<Fallback>,
}

#[derive(Debug)]
pub struct Phraser {
    client: reqwest::Client,
    endpoint: String,
    model: String,
    api_key: String,
    timeout: Duration,
}

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: Vec<ChatMessage>,
    temperature: f32,
    max_tokens: u32,
}

#[derive(Serialize, Deserialize)]
struct ChatMessage {
    role: String,
    content: String,
}

#[derive(Deserialize)]
struct ChatResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChatMessage,
}

impl Phraser {
    /// The phraser the settings describe, or `None` when phrasing is off.
    pub fn from_settings(settings: &LlmSettings) -> Option<Phraser> {
        if !settings.enabled {
            return None;
        }
        Some(Phraser {
            client: reqwest::Client::new(),
            endpoint: format!(
                "{}/chat/completions",
                settings.base_url.trim_end_matches('/')
            ),
            model: settings.model.clone(),
            api_key: settings.api_key.clone(),
            timeout: Duration::from_millis(settings.timeout_ms),
        })
    }

    /// Rephrases `plain` (the best entry's filled answer) for `question`, or returns `plain`.
    pub async fn phrase(
        &self,
        analyzer: &Analyzer,
        shop_name: &str,
        question: &str,
        entries: &[Grounding<'_>],
        plain: &str,
    ) -> Phrased {
        let ids: Vec<&str> = entries.iter().map(|e| e.id).collect();
        let outcome =
            tokio::time::timeout(self.timeout, self.call(shop_name, question, entries, plain))
                .await
                .unwrap_or(Err(Fallback::Timeout))
                .and_then(|text| check(analyzer, &text, question, entries, plain).map(|()| text));
        match outcome {
            Ok(text) => {
                tracing::info!(entries = ?ids, "answer phrased by the model");
                Phrased {
                    text,
                    fallback: None,
                }
            }
            Err(fallback) => {
                tracing::warn!(entries = ?ids, ?fallback, "model phrasing not used; plain answer sent");
                Phrased {
                    text: plain.to_owned(),
                    fallback: Some(fallback),
                }
            }
        }
    }

    async fn call(
        &self,
        shop_name: &str,
        question: &str,
        entries: &[Grounding<'_>],
        plain: &str,
    ) -> Result<String, Fallback> {
        let mut knowledge = String::new();
        for e in entries {
            knowledge.push_str(&format!(
                "[{}] 问：{}\n答：{}\n",
                e.id, e.question, e.answer
            ));
        }
        let system = format!(
            "你是「{shop_name}」的在线客服。只根据下面的知识库条目回答顾客，不要编造条目里没有的信息、数字、承诺或链接；\
             语气亲切简洁，一到三句话，用“亲”称呼顾客。如果条目不足以回答，就原样给出推荐答案。\n\n知识库条目：\n{knowledge}\n推荐答案：{plain}"
        );
        let body = ChatRequest {
            model: &self.model,
            messages: vec![
                ChatMessage {
                    role: "system".into(),
                    content: system,
                },
                ChatMessage {
                    role: "user".into(),
                    content: question.to_owned(),
                },
            ],
            temperature: 0.3,
            max_tokens: 300,
        };
        let mut request = self.client.post(&self.endpoint).json(&body);
        if !self.api_key.is_empty() {
            request = request.bearer_auth(&self.api_key);
        }
        let response = request.send().await.map_err(|_| Fallback::Unreachable)?;
        if !response.status().is_success() {
            return Err(Fallback::Unreachable);
        }
        let parsed: ChatResponse = response.json().await.map_err(|_| Fallback::BadResponse)?;
        parsed
            .choices
            .into_iter()
            .next()
            .map(|c| c.message.content.trim().to_owned())
            .filter(|t| !t.is_empty())
            .ok_or(Fallback::BadResponse)
    }
}

/// Digit runs in `text`, normalised (full-width digits read as ASCII).
fn numbers(text: &str) -> Vec<String> {
    let normalized = kefu_text::normalize(text).text;
    let mut out = Vec::new();
    let mut current = String::new();
    for c in normalized.chars() {
        if c.is_ascii_digit() {
            current.push(c);
        } else if !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The checks the model's text must pass.
fn check(
    analyzer: &Analyzer,
    text: &str,
    question: &str,
    entries: &[Grounding<'_>],
    plain: &str,
) -> Result<(), Fallback> {
    MessageText::parse(text).map_err(|_| Fallback::InvalidText)?;
    let analysis = analyzer.analyze(text);
    let risky = analysis
        .hits
        .iter()
        .any(|h| matches!(h.lexicon, LexiconKind::Forbidden | LexiconKind::Sensitive));
    // A sensitive word the plain answer already holds (退款 in a refund answer) is fine.
    let plain_hits = analyzer.analyze(plain);
    let new_risk = risky
        && analysis.hits.iter().any(|h| {
            matches!(h.lexicon, LexiconKind::Forbidden | LexiconKind::Sensitive)
                && !plain_hits.hits.iter().any(|p| p.term == h.term)
        });
    if new_risk {
        return Err(Fallback::Unsafe);
    }
    let mut known: Vec<String> = numbers(question);
    known.extend(numbers(plain));
    for e in entries {
        known.extend(numbers(e.answer));
        known.extend(numbers(e.question));
    }
    if numbers(text).iter().any(|n| !known.contains(n)) {
        return Err(Fallback::UngroundedNumber);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_read_in_any_width() {
        assert_eq!(numbers("满１９９减20，7天"), vec!["199", "20", "7"]);
        assert!(numbers("亲，在的").is_empty());
    }
}

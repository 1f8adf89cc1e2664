//! Message text, parsed once at the boundary. A `MessageText` is never empty, never longer than
//! [`MAX_MESSAGE_CHARS`] user-perceived characters, and holds no control characters other than
//! line breaks and tabs. Length is counted in grapheme clusters, so an emoji with skin tone or a
//! family emoji counts as one character, as a shopper would count it.

use serde::{Deserialize, Serialize};
use std::fmt;
use unicode_segmentation::UnicodeSegmentation;

/// The longest message a shopper, bot or agent may send.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("message is empty")]
    Empty,
    #[error("message has {chars} characters; the limit is {MAX_MESSAGE_CHARS}")]
    TooLong { chars: usize },
    #[error("message contains a control character")]
    ControlCharacter,
}

#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct MessageText(String);

impl MessageText {
    /// Trims surrounding whitespace, normalises `\r\n` to `\n`, and checks the rules above.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let text = raw.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(TextError::Empty);
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(TextError::ControlCharacter);
        }
        let chars = text.graphemes(true).count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(TextError::TooLong { chars });
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The first `max` characters, with an ellipsis when cut: used for list previews.
    pub fn preview(&self, max: usize) -> String {
        let mut out: String = self.0.graphemes(true).take(max).collect();
        if out.len() < self.0.len() {
            out.push('…');
        }
        out
    }
}

impl fmt::Debug for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for MessageText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for MessageText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> Deserialize<'de> for MessageText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn chinese_text_is_kept_as_typed() {
        let t = MessageText::parse("  你好，纸尿裤什么时候发货？\r\n").expect("valid");
        assert_eq!(t.as_str(), "你好，纸尿裤什么时候发货？");
    }

    #[test]
    fn empty_and_blank_are_rejected() {
        assert_eq!(MessageText::parse(""), Err(TextError::Empty));
        assert_eq!(MessageText::parse(" \n\t　"), Err(TextError::Empty));
    }

    #[test]
    fn length_counts_graphemes_not_bytes() {
        let family = "👨‍👩‍👧‍👦";
        let ok = family.repeat(MAX_MESSAGE_CHARS);
        assert!(MessageText::parse(&ok).is_ok());
        let han = "好".repeat(MAX_MESSAGE_CHARS + 1);
        assert_eq!(
            MessageText::parse(&han),
            Err(TextError::TooLong {
                chars: MAX_MESSAGE_CHARS + 1
            })
        );
    }

    #[test]
    fn control_characters_are_rejected_but_newlines_kept() {
        assert_eq!(
            MessageText::parse("退\u{0}款"),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(
            MessageText::parse("第一行\n第二行").map(MessageText::into_string),
            Ok("第一行\n第二行".to_owned())
        );
    }

    #[test]
    fn preview_cuts_on_characters() {
        let t = MessageText::parse("你好，纸尿裤什么时候发货？").expect("valid");
        assert_eq!(t.preview(5), "你好，纸尿…");
        assert_eq!(t.preview(50), "你好，纸尿裤什么时候发货？");
    }

    proptest! {
        #[test]
        fn parse_never_panics_and_accepted_text_reparses_to_itself(s in "\\PC{0,64}|[\\s\\S]{0,64}") {
            if let Ok(t) = MessageText::parse(&s) {
                prop_assert_eq!(MessageText::parse(t.as_str()), Ok(t.clone()));
                prop_assert!(!t.as_str().is_empty());
            }
        }
    }
}

//! Answers with variables: `您的订单{order.no}已由{order.carrier}发出，单号{order.tracking_no}`.
//!
//! Variables are filled from the shopper's own latest order when the bot answers, so one
//! entry serves every shopper. The set of names is closed: an entry with an unknown name is
//! refused when it is saved, not discovered when a shopper asks.

/// The variables an answer may use, with what they hold.
pub const VARIABLES: &[(&str, &str)] = &[
    ("order.no", "订单号"),
    ("order.status", "订单状态"),
    ("order.carrier", "快递公司"),
    ("order.tracking_no", "快递单号"),
    ("order.shipped_at", "发货时间"),
    ("order.paid_at", "付款时间"),
];

/// A piece of an answer template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Variable(&'a str),
}

/// Why a template was refused or could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `{name}` with a name not in [`VARIABLES`].
    UnknownVariable(String),
    /// A `{` without its `}`.
    Unclosed(usize),
    /// The shopper has nothing to fill this variable with (no order, not shipped yet).
    Missing(String),
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::UnknownVariable(name) => write!(
                f,
                "unknown variable {{{name}}}; known: {}",
                VARIABLES
                    .iter()
                    .map(|(n, _)| format!("{{{n}}}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            TemplateError::Unclosed(at) => write!(f, "'{{' at character {at} is not closed"),
            TemplateError::Missing(name) => write!(f, "no value for {{{name}}}"),
        }
    }
}

impl std::error::Error for TemplateError {}

fn is_variable_char(c: char) -> bool {
    c.is_ascii_lowercase() || c == '_' || c == '.'
}

/// Splits a template into text and variables. A `{` not followed by a variable name and `}`
/// is text (answers may contain braces, `{满199减20}`); a well-formed name that is not known is
/// an error, since it is almost surely a typo of one.
pub fn parse(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    let mut chars = template.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '{' {
            continue;
        }
        let rest = &template[at + 1..];
        let name_len = rest
            .find(|c: char| !is_variable_char(c))
            .unwrap_or(rest.len());
        let name = &rest[..name_len];
        let closed = rest[name_len..].starts_with('}');
        if name.is_empty() || !name.contains('.') {
            // Not a variable: `{满199减20}` or `{}`.
            continue;
        }
        if !closed {
            return Err(TemplateError::Unclosed(template[..at].chars().count()));
        }
        if !VARIABLES.iter().any(|(n, _)| *n == name) {
            return Err(TemplateError::UnknownVariable(name.to_owned()));
        }
        if text_start < at {
            pieces.push(Piece::Text(&template[text_start..at]));
        }
        pieces.push(Piece::Variable(name));
        text_start = at + 1 + name_len + 1;
        while chars.peek().is_some_and(|(i, _)| *i < text_start) {
            chars.next();
        }
    }
    if text_start < template.len() {
        pieces.push(Piece::Text(&template[text_start..]));
    }
    Ok(pieces)
}

/// The variables a template uses.
pub fn variables(template: &str) -> Result<Vec<&str>, TemplateError> {
    Ok(parse(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Variable(v) => Some(v),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Fills a template's variables from `value`; fails on the first variable without one.
pub fn render(
    template: &str,
    value: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len() + 32);
    for piece in parse(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Variable(name) => {
                out.push_str(&value(name).ok_or_else(|| TemplateError::Missing(name.to_owned()))?)
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn variables_are_filled() {
        let t = "亲，您的订单{order.no}已由{order.carrier}发出，单号{order.tracking_no}哦";
        let out = render(t, |name| match name {
            "order.no" => Some("TB123".into()),
            "order.carrier" => Some("中通".into()),
            "order.tracking_no" => Some("7355".into()),
            _ => None,
        })
        .expect("all known");
        assert_eq!(out, "亲，您的订单TB123已由中通发出，单号7355哦");
        assert_eq!(
            variables(t).expect("valid"),
            vec!["order.no", "order.carrier", "order.tracking_no"]
        );
    }

    #[test]
    fn braces_that_are_not_variables_stay_text() {
        let t = "活动{满199减20}，{}也行";
        assert_eq!(render(t, |_| None).expect("no variables"), t);
    }

    #[test]
    fn unknown_unclosed_and_missing_variables_are_errors() {
        assert_eq!(
            parse("单号{order.trackingno}"),
            Err(TemplateError::UnknownVariable("order.trackingno".into()))
        );
        assert_eq!(parse("单号{order.no"), Err(TemplateError::Unclosed(2)));
        assert_eq!(
            render("单号{order.tracking_no}", |_| None),
            Err(TemplateError::Missing("order.tracking_no".into()))
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_text_round_trips(s in "\\PC{0,40}") {
            if let Ok(pieces) = parse(&s) {
                let back: String = pieces.iter().map(|p| match p {
                    Piece::Text(t) => (*t).to_owned(),
                    Piece::Variable(v) => format!("{{{v}}}"),
                }).collect();
                prop_assert_eq!(back, s);
            }
        }
    }
}

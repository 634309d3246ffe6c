//! `{name}` placeholders in SQL and reason templates: finding them and filling them in.
//!
//! A placeholder is `{` + an identifier (`[A-Za-z_][A-Za-z0-9_]*`) + `}`. In SQL, braces around
//! anything else (a regular expression's `{2}`, say) are plain text; in reasons every `{…}` must
//! be a placeholder, so that a typo shows when the book is loaded rather than in a task.

/// One piece of a template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Piece<'a> {
    /// Text to copy as is.
    Text(&'a str),
    /// A placeholder; the name without braces.
    Name(&'a str),
    /// `{…}` around something that is not an identifier, or a `{` never closed; the whole text.
    Odd(&'a str),
}

pub(crate) fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Splits a template into text and placeholders.
pub(crate) fn pieces(template: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Piece::Text(&rest[..open]));
        }
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let inner = &after[..close];
                let whole = &rest[open..open + close + 2];
                out.push(if is_identifier(inner) { Piece::Name(inner) } else { Piece::Odd(whole) });
                rest = &after[close + 1..];
            }
            None => {
                out.push(Piece::Odd(rest));
                rest = "";
            }
        }
    }
    if !rest.is_empty() {
        out.push(Piece::Text(rest));
    }
    out
}

/// Fills every placeholder `lookup` knows; the others are left as written.
pub(crate) fn fill(template: &str, mut lookup: impl FnMut(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len());
    for piece in pieces(template) {
        match piece {
            Piece::Text(text) | Piece::Odd(text) => out.push_str(text),
            Piece::Name(name) => match lookup(name) {
                Some(value) => out.push_str(&value),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_tell_placeholders_from_other_braces() {
        assert_eq!(
            pieces("a {x} b {2} {y_1}{ z"),
            vec![
                Piece::Text("a "),
                Piece::Name("x"),
                Piece::Text(" b "),
                Piece::Odd("{2}"),
                Piece::Text(" "),
                Piece::Name("y_1"),
                Piece::Odd("{ z"),
            ]
        );
        assert_eq!(pieces(""), vec![]);
        assert_eq!(pieces("{}"), vec![Piece::Odd("{}")]);
    }

    #[test]
    fn fill_replaces_known_names_once_and_keeps_the_rest() {
        let filled = fill("{a}-{b}-{2}", |name| (name == "a").then(|| "{b}".to_owned()));
        assert_eq!(filled, "{b}-{b}-{2}");
    }
}

//! The console's two languages. Every label is a variant of a `messages!` enum that carries its
//! Chinese and its English text side by side, so a label without a translation does not compile.
//!
//! Which language a page speaks: the signed-in person's choice (kept in the store), else the
//! browser's `Accept-Language`, else Chinese — weiwan's users are at Chinese operators first.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The value of the page's `lang` attribute.
    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, which the switch in the header offers.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Picks between a Chinese and an English text that come from data (rule reasons, offer
    /// names), not from the console's own labels.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The language the browser prefers among ours: the highest-weighted `zh*` or `en*`
    /// range of `Accept-Language`; Chinese when it names neither.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .and_then(Lang::from_accept_language)
            .unwrap_or(Lang::Zh)
    }

    fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for range in header.split(',') {
            let mut parts = range.trim().split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight = parts
                .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()))
                .unwrap_or(1.0);
            let lang = match tag.split('-').next() {
                Some("zh") => Lang::Zh,
                Some("en") => Lang::En,
                _ => continue,
            };
            if weight > 0.0 && best.is_none_or(|(w, _)| weight > w) {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang)
    }
}

/// Declares a module's labels: `Name => "中文", "English";`. Gives an enum `M` whose
/// `text(lang)` is the label in that language.
macro_rules! messages {
    ($($key:ident => $zh:literal, $en:literal;)*) => {
        /// This module's labels, each in Chinese and English.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(dead_code)]
        pub(crate) enum M { $($key),* }

        impl M {
            #[allow(dead_code)]
            pub(crate) const ALL: &'static [M] = &[$(M::$key),*];

            pub(crate) fn text(self, lang: $crate::console::i18n::Lang) -> &'static str {
                match (self, lang) {
                    $(
                        (M::$key, $crate::console::i18n::Lang::Zh) => $zh,
                        (M::$key, $crate::console::i18n::Lang::En) => $en,
                    )*
                }
            }
        }

    };
}
pub(crate) use messages;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_preference_is_read_by_weight() {
        let lang = |h: &str| Lang::from_accept_language(h);
        assert_eq!(lang("zh-CN,zh;q=0.9,en;q=0.8"), Some(Lang::Zh));
        assert_eq!(lang("en-US,en;q=0.9,zh-CN;q=0.8"), Some(Lang::En));
        assert_eq!(lang("fr-FR, en;q=0.5, zh;q=0.7"), Some(Lang::Zh));
        assert_eq!(lang("zh;q=0, en;q=0.1"), Some(Lang::En), "q=0 means not wanted");
        assert_eq!(lang("fr, de"), None);
        assert_eq!(lang(""), None);
    }
}

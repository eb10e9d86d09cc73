//! Keyset pagination (a page size and an opaque cursor) and list search text.

use crate::text::{Text, TextError};
use std::fmt;

/// Free text that narrows a list: trimmed, single-line, at most 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(Text<100>);

impl SearchText {
    /// Parses search text; blank text means "no search" (`Ok(None)`).
    ///
    /// ```
    /// # use orgplane_domain::page::SearchText;
    /// assert_eq!(SearchText::parse("  acme ").unwrap().unwrap().as_str(), "acme");
    /// assert_eq!(SearchText::parse("   ").unwrap(), None);
    /// assert!(SearchText::parse("a\u{0}b").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Option<Self>, TextError> {
        match Text::parse(raw) {
            Ok(text) => Ok(Some(Self(text))),
            Err(TextError::Empty) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Why search terms were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SearchError {
    /// Longer than 100 characters.
    #[error("must be at most 100 characters")]
    TooLong,
    /// Holds a control character (NUL, newline, ...).
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// What a free-text search asks for: terms that must all appear (case-insensitively)
/// in what is searched. `New York` asks for `new` and `york`, anywhere; `"New York"`
/// (quoted) asks for the phrase `new york` as it is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerms(Vec<String>);

impl SearchTerms {
    /// Parses search text; blank text asks for nothing (matches everything).
    ///
    /// ```
    /// # use orgplane_domain::page::SearchTerms;
    /// assert_eq!(SearchTerms::parse("New  York").unwrap().terms(), ["new", "york"]);
    /// assert_eq!(SearchTerms::parse("\"New York\"").unwrap().terms(), ["new york"]);
    /// assert!(SearchTerms::parse("  ").unwrap().is_empty());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, SearchError> {
        if raw.chars().count() > 100 {
            return Err(SearchError::TooLong);
        }
        if raw.chars().any(char::is_control) {
            return Err(SearchError::ControlCharacter);
        }
        let trimmed = raw.trim();
        let quoted = trimmed.len() >= 2 && trimmed.starts_with('"') && trimmed.ends_with('"');
        let terms = if quoted {
            let phrase = trimmed[1..trimmed.len() - 1].trim().to_lowercase();
            if phrase.is_empty() {
                Vec::new()
            } else {
                vec![phrase]
            }
        } else {
            trimmed.split_whitespace().map(str::to_lowercase).collect()
        };
        Ok(Self(terms))
    }

    /// One term: the whole text as a phrase (what a plain `search` parameter means on the
    /// canonical surface).
    pub fn phrase(text: &SearchText) -> Self {
        Self(vec![text.as_str().to_lowercase()])
    }

    /// The terms, lower-cased.
    pub fn terms(&self) -> &[String] {
        &self.0
    }

    /// Whether there is nothing to look for.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether every term appears in `haystack` (case-insensitively).
    pub fn matches(&self, haystack: &str) -> bool {
        let haystack = haystack.to_lowercase();
        self.0.iter().all(|t| haystack.contains(t.as_str()))
    }
}

/// Why a page request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// `limit` outside `1..=PageLimit::MAX`.
    #[error("limit must be between 1 and {max}", max = PageLimit::MAX)]
    Limit,
    /// A cursor that this service did not hand out.
    #[error("cursor is not one this service handed out")]
    Cursor,
}

/// How many items a page holds: 1 to 100, 25 when not given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageLimit(u32);

impl PageLimit {
    /// The largest page.
    pub const MAX: u32 = 100;
    /// The page size when none is asked for.
    pub const DEFAULT: PageLimit = PageLimit(25);

    /// Accepts `1..=MAX`.
    pub fn new(value: i64) -> Result<Self, PageError> {
        if (1..=i64::from(Self::MAX)).contains(&value) {
            Ok(Self(value as u32))
        } else {
            Err(PageError::Limit)
        }
    }

    /// The size.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageLimit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A position in a list ordered by integer key: the next page starts after `after`.
///
/// On the wire it is an opaque string; clients must not build one themselves.
///
/// ```
/// # use orgplane_domain::page::Cursor;
/// let cursor = Cursor::after(42);
/// assert_eq!(Cursor::parse(&cursor.to_string()).unwrap(), cursor);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// The key of the last item already seen.
    pub after: i64,
}

impl Cursor {
    const PREFIX: &'static str = "c1.";
    // Keeps cursors from looking like plain ids that clients might start to compute.
    const MASK: u64 = 0x5A5A_A5A5_0F0F_F0F0;

    /// The cursor for the page after key `after`.
    pub fn after(after: i64) -> Self {
        Self { after }
    }

    /// Reads a cursor handed out earlier.
    pub fn parse(raw: &str) -> Result<Self, PageError> {
        let hex = raw.strip_prefix(Self::PREFIX).ok_or(PageError::Cursor)?;
        if hex.len() != 16 {
            return Err(PageError::Cursor);
        }
        let masked = u64::from_str_radix(hex, 16).map_err(|_| PageError::Cursor)?;
        let after = (masked ^ Self::MASK) as i64;
        if after < 0 {
            return Err(PageError::Cursor);
        }
        Ok(Self { after })
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{:016x}",
            Self::PREFIX,
            (self.after as u64) ^ Self::MASK
        )
    }
}

/// One page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The items, in key order.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra one only tells that a
    /// next page exists.
    pub fn from_overfetch(mut items: Vec<T>, limit: PageLimit, key: impl Fn(&T) -> i64) -> Self {
        let limit = limit.get() as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor::after(key(last)))
        } else {
            None
        };
        Self { items, next }
    }

    /// Transforms every item.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next: self.next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn overfetching_one_item_reveals_the_next_page() {
        let limit = PageLimit::new(2).unwrap();
        let page = Page::from_overfetch(vec![1, 2, 3], limit, |x| *x);
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next, Some(Cursor::after(2)));
        let last = Page::from_overfetch(vec![3], limit, |x| *x);
        assert_eq!(last.next, None);
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        assert_eq!(PageLimit::new(0), Err(PageError::Limit));
        assert_eq!(PageLimit::new(101), Err(PageError::Limit));
    }

    #[test]
    fn foreign_cursors_are_refused() {
        for bad in [
            "",
            "42",
            "c1.",
            "c1.zzzzzzzzzzzzzzzz",
            "c2.0000000000000000",
        ] {
            assert_eq!(Cursor::parse(bad), Err(PageError::Cursor), "{bad}");
        }
    }

    #[test]
    fn search_terms_are_words_or_one_quoted_phrase() {
        let words = SearchTerms::parse("Acme  berlin").unwrap();
        assert!(words.matches("ACME Mail, Berlin"));
        assert!(words.matches("Berlin office of Acme"), "in any order");
        assert!(!words.matches("Acme Hamburg"));
        let phrase = SearchTerms::parse(r#""Acme Berlin""#).unwrap();
        assert!(phrase.matches("acme berlin gmbh"));
        assert!(!phrase.matches("Berlin office of Acme"));
        assert_eq!(SearchTerms::parse(r#""""#).unwrap(), SearchTerms::default());
        assert_eq!(
            SearchTerms::parse("a\u{0}b"),
            Err(SearchError::ControlCharacter)
        );
        assert_eq!(
            SearchTerms::parse(&"x".repeat(101)),
            Err(SearchError::TooLong)
        );
    }

    proptest! {
        #[test]
        fn cursors_round_trip(after in 0i64..i64::MAX) {
            let c = Cursor::after(after);
            prop_assert_eq!(Cursor::parse(&c.to_string()), Ok(c));
        }
    }
}

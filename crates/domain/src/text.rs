//! Bounded single-line text, the building block of most free-text fields.

use serde::{Serialize, Serializer};
use std::fmt;

/// Why a piece of free text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty after trimming.
    #[error("must not be empty")]
    Empty,
    /// Longer than the field allows.
    #[error("must be at most {max} characters")]
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// Holds a control character (newline, tab, NUL, ...).
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Trimmed, non-empty, single-line text of at most `MAX` characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text<const MAX: usize>(String);

impl<const MAX: usize> Text<MAX> {
    /// Trims `raw` and accepts it if it is non-empty, short enough and single-line.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(TextError::Empty);
        }
        if trimmed.chars().count() > MAX {
            return Err(TextError::TooLong { max: MAX });
        }
        if trimmed.chars().any(char::is_control) {
            return Err(TextError::ControlCharacter);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The text itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for Text<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<const MAX: usize> Serialize for Text<MAX> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(Text::<5>::parse("  abc ").unwrap().as_str(), "abc");
        assert_eq!(Text::<5>::parse("   "), Err(TextError::Empty));
        assert_eq!(
            Text::<5>::parse("abcdef"),
            Err(TextError::TooLong { max: 5 })
        );
        assert_eq!(Text::<5>::parse("a\nb"), Err(TextError::ControlCharacter));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert!(Text::<3>::parse("äöü").is_ok());
    }
}

//! Idempotency keys: a client's name for one request, so that a retry of it is answered
//! with the first response instead of being carried out again.

/// Why an idempotency key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to {max} visible ASCII characters, e.g. a UUID", max = IdempotencyKey::MAX)]
pub struct IdempotencyKeyError;

/// A client-chosen key: 1 to 255 visible ASCII characters (Stripe's rule).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The longest key.
    pub const MAX: usize = 255;

    /// Accepts 1 to [`Self::MAX`] visible ASCII characters.
    ///
    /// ```
    /// # use orgplane_domain::idempotency::IdempotencyKey;
    /// assert!(IdempotencyKey::parse("5f0c1a6e-batch-17").is_ok());
    /// assert!(IdempotencyKey::parse("").is_err());
    /// assert!(IdempotencyKey::parse("with space").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, IdempotencyKeyError> {
        let ok =
            !raw.is_empty() && raw.len() <= Self::MAX && raw.bytes().all(|b| b.is_ascii_graphic());
        ok.then(|| Self(raw.to_owned())).ok_or(IdempotencyKeyError)
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_short_visible_ascii() {
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "tab\there", "ünï", "nul\0"] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }
}

//! URL-safe handles derived from names, shared by organization and server permalinks.

/// Why a permalink was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PermalinkError {
    /// Empty.
    #[error("must not be empty")]
    Empty,
    /// Longer than 64 characters.
    #[error("must be at most 64 characters")]
    TooLong,
    /// Holds something other than `a-z`, `0-9` and `-`, or starts/ends with `-`.
    #[error("may contain only lowercase letters, digits and inner hyphens")]
    InvalidCharacter,
    /// A reserved word.
    #[error("`{0}` is reserved")]
    Reserved(String),
}

/// The longest handle.
pub(crate) const MAX: usize = 64;

/// Checks an exact handle: `[a-z0-9-]`, no leading/trailing hyphen, 1 to 64 characters,
/// none of `reserved`.
pub(crate) fn check(raw: &str, reserved: &[&str]) -> Result<(), PermalinkError> {
    if raw.is_empty() {
        return Err(PermalinkError::Empty);
    }
    if raw.len() > MAX {
        return Err(PermalinkError::TooLong);
    }
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    if !raw.chars().all(allowed) || raw.starts_with('-') || raw.ends_with('-') {
        return Err(PermalinkError::InvalidCharacter);
    }
    if reserved.contains(&raw) {
        return Err(PermalinkError::Reserved(raw.to_owned()));
    }
    Ok(())
}

/// Lowercase ASCII letters and digits kept, every run of anything else one hyphen, cut to
/// [`MAX`] (may be empty).
pub(crate) fn derive(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(MAX).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

/// The `n`-th alternative to `base`: `base-2`, `base-3`, ..., still within [`MAX`].
pub(crate) fn with_suffix(base: &str, n: u32) -> String {
    let suffix = format!("-{n}");
    let keep = MAX - suffix.len();
    let mut base: String = base.chars().take(keep).collect();
    while base.ends_with('-') {
        base.pop();
    }
    format!("{base}{suffix}")
}

/// The handles to try, in order, for `name`: the derived one (unless reserved), then
/// `-2`, `-3`, ... up to `count` candidates in all.
pub(crate) fn candidates(
    name: &str,
    count: u32,
    reserved: &[&str],
) -> Result<Vec<String>, PermalinkError> {
    let base = derive(name);
    let skip_base = match check(&base, reserved) {
        Ok(()) => false,
        // A reserved word is fine with a suffix: "Admin" becomes `admin-2`.
        Err(PermalinkError::Reserved(_)) => true,
        Err(other) => return Err(other),
    };
    let suffixed = (2..).map(|n| with_suffix(&base, n));
    Ok(if skip_base {
        suffixed.take(count as usize).collect()
    } else {
        std::iter::once(base.clone())
            .chain(suffixed)
            .take(count as usize)
            .collect()
    })
}

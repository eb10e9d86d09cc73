//! The validated fields of an organization.

use crate::slug::{self, PermalinkError};
use crate::text::{Text, TextError};
use serde::Serialize;
use std::fmt;

/// The display name of an organization: 1 to 255 characters, single line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct OrganizationName(Text<255>);

impl OrganizationName {
    /// Parses a name, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Text::parse(raw).map(Self)
    }

    /// The name itself.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for OrganizationName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words that would collide with routes or confuse people if used as permalinks.
pub const RESERVED_PERMALINKS: &[&str] = &[
    "admin",
    "api",
    "app",
    "assets",
    "auth",
    "current",
    "docs",
    "edit",
    "healthz",
    "help",
    "internal",
    "login",
    "logout",
    "metrics",
    "new",
    "openapi",
    "org",
    "orgs",
    "organization",
    "organizations",
    "readyz",
    "root",
    "settings",
    "static",
    "support",
    "system",
    "user",
    "users",
    "www",
];

/// A URL-safe handle: `[a-z0-9-]`, no leading/trailing hyphen, 1 to 64 characters, not
/// reserved. Unique among live organizations (the store enforces that part).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Permalink(String);

impl Permalink {
    /// Accepts an exact permalink.
    pub fn parse(raw: &str) -> Result<Self, PermalinkError> {
        slug::check(raw, RESERVED_PERMALINKS).map(|()| Self(raw.to_owned()))
    }

    /// Derives a permalink from a name: lowercase ASCII letters and digits kept, every run
    /// of anything else becomes one hyphen.
    pub fn derive_from(name: &OrganizationName) -> Result<Self, PermalinkError> {
        Self::parse(&slug::derive(name.as_str()))
    }

    /// The permalinks to try, in order, for an organization called `name`: the derived one
    /// (unless reserved), then `-2`, `-3`, ... up to `count` candidates in all.
    ///
    /// ```
    /// # use orgplane_domain::organization::{OrganizationName, Permalink};
    /// let name = OrganizationName::parse("Admin").unwrap();
    /// let first = Permalink::candidates(&name, 3).unwrap()[0].clone();
    /// assert_eq!(first.as_str(), "admin-2");
    /// ```
    pub fn candidates(name: &OrganizationName, count: u32) -> Result<Vec<Self>, PermalinkError> {
        slug::candidates(name.as_str(), count, RESERVED_PERMALINKS)
            .map(|all| all.into_iter().map(Self).collect())
    }

    /// The `n`-th alternative when this permalink is taken: `acme-2`, `acme-3`, ...
    pub fn with_suffix(&self, n: u32) -> Self {
        Self(slug::with_suffix(&self.0, n))
    }

    /// The permalink itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a domain name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a DNS name such as `example.com`")]
pub struct DomainNameError;

/// A DNS name (lowercased), at least two labels, each 1–63 of `[a-z0-9-]` not starting or
/// ending with a hyphen, 253 characters at most.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct DomainName(String);

impl DomainName {
    /// Parses and lowercases a domain name; a trailing dot is dropped.
    pub fn parse(raw: &str) -> Result<Self, DomainNameError> {
        let name = raw.trim().trim_end_matches('.').to_ascii_lowercase();
        let labels: Vec<&str> = name.split('.').collect();
        let label_ok = |l: &&str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let tld_ok = labels
            .last()
            .is_some_and(|t| !t.chars().all(|c| c.is_ascii_digit()));
        if name.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) || !tld_ok {
            return Err(DomainNameError);
        }
        Ok(Self(name))
    }

    /// The name itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a phone number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 3 to 32 characters of digits, spaces and + - ( ) .")]
pub struct PhoneNumberError;

/// A phone number as people write it: digits and the usual punctuation, 3–32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a phone number.
    pub fn parse(raw: &str) -> Result<Self, PhoneNumberError> {
        let s = raw.trim();
        let allowed = |c: char| c.is_ascii_digit() || " +-().".contains(c);
        let digits = s.chars().filter(char::is_ascii_digit).count();
        if !(3..=32).contains(&s.len()) || !s.chars().all(allowed) || digits < 3 {
            return Err(PhoneNumberError);
        }
        Ok(Self(s.to_owned()))
    }

    /// The number as given (trimmed).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a time zone was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an IANA time zone name such as `Europe/Berlin` or `UTC`")]
pub struct TimeZoneError;

/// An IANA time zone name (`Area/Location[/Sub]`, or `UTC`). The shape is checked; the
/// domain carries no time zone database, so an unknown but well-formed name is kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct TimeZone(String);

impl TimeZone {
    /// Parses a time zone name.
    pub fn parse(raw: &str) -> Result<Self, TimeZoneError> {
        let s = raw.trim();
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        };
        let parts: Vec<&str> = s.split('/').collect();
        let ok = s == "UTC"
            || (s.len() <= 64
                && (2..=3).contains(&parts.len())
                && parts.iter().all(|p| part_ok(p)));
        if !ok {
            return Err(TimeZoneError);
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Why a monthly limit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 0 to {max}", max = MonthlyLimit::MAX)]
pub struct MonthlyLimitError;

/// A monthly mail allowance: 0 to one trillion messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct MonthlyLimit(i64);

impl MonthlyLimit {
    /// The largest allowance accepted.
    pub const MAX: i64 = 1_000_000_000_000;

    /// Accepts `0..=MAX`.
    pub fn new(value: i64) -> Result<Self, MonthlyLimitError> {
        if (0..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(MonthlyLimitError)
        }
    }

    /// The allowance.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// The largest serialized size of an organization's customizations.
pub const CUSTOMIZATIONS_MAX_BYTES: usize = 16 * 1024;

/// Why customizations were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomizationsError {
    /// Not a JSON object.
    #[error("must be a JSON object")]
    NotAnObject,
    /// Serialized larger than [`CUSTOMIZATIONS_MAX_BYTES`].
    #[error("must serialize to at most {max} bytes", max = CUSTOMIZATIONS_MAX_BYTES)]
    TooLarge,
    /// A key or string holds U+0000, which no text column can store.
    #[error("must not contain the NUL character (U+0000) in any key or string")]
    Nul,
}

/// Client-defined settings: any JSON object of at most [`CUSTOMIZATIONS_MAX_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Customizations(serde_json::Map<String, serde_json::Value>);

impl Customizations {
    /// No customizations.
    pub fn empty() -> Self {
        Self(serde_json::Map::new())
    }

    /// Accepts a JSON object within the size limit whose keys and strings hold no NUL.
    /// A negative zero becomes `0.0`: JSON stores hold one zero, and what is accepted
    /// must read back exactly.
    ///
    /// ```
    /// # use orgplane_domain::organization::{Customizations, CustomizationsError};
    /// let c = Customizations::parse(serde_json::json!({"zero": -0.0})).unwrap();
    /// assert_eq!(c.to_value().to_string(), r#"{"zero":0.0}"#);
    /// assert_eq!(
    ///     Customizations::parse(serde_json::json!({"a": "\u{0}"})),
    ///     Err(CustomizationsError::Nul)
    /// );
    /// ```
    pub fn parse(value: serde_json::Value) -> Result<Self, CustomizationsError> {
        let serde_json::Value::Object(mut map) = value else {
            return Err(CustomizationsError::NotAnObject);
        };
        for (key, value) in map.iter_mut() {
            if key.contains('\0') {
                return Err(CustomizationsError::Nul);
            }
            storable(value)?;
        }
        let size = serde_json::to_vec(&map)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > CUSTOMIZATIONS_MAX_BYTES {
            return Err(CustomizationsError::TooLarge);
        }
        Ok(Self(map))
    }

    /// The object.
    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }

    /// The object as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        serde_json::Value::Object(self.0.clone())
    }
}

/// Refuses NUL anywhere in `value` and turns `-0.0` into `0.0`.
fn storable(value: &mut serde_json::Value) -> Result<(), CustomizationsError> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Err(CustomizationsError::Nul),
        Value::Number(n) if n.as_f64() == Some(0.0) && n.is_f64() => {
            *value = Value::from(0.0);
            Ok(())
        }
        Value::Array(items) => items.iter_mut().try_for_each(storable),
        Value::Object(map) => map.iter_mut().try_for_each(|(k, v)| {
            if k.contains('\0') {
                Err(CustomizationsError::Nul)
            } else {
                storable(v)
            }
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(s: &str) -> OrganizationName {
        OrganizationName::parse(s).unwrap()
    }

    #[test]
    fn permalink_is_derived_from_the_name() {
        assert_eq!(
            Permalink::derive_from(&name("Acme Corp")).unwrap().as_str(),
            "acme-corp"
        );
        assert_eq!(
            Permalink::derive_from(&name("  --Ünïcode!! 42 "))
                .unwrap()
                .as_str(),
            "n-code-42"
        );
    }

    #[test]
    fn a_name_without_letters_or_digits_has_no_permalink() {
        assert_eq!(
            Permalink::derive_from(&name("!!!")),
            Err(PermalinkError::Empty)
        );
    }

    #[test]
    fn reserved_words_are_refused_as_permalinks() {
        assert_eq!(
            Permalink::derive_from(&name("Admin")),
            Err(PermalinkError::Reserved("admin".into()))
        );
        assert!(Permalink::parse("orgs").is_err());
    }

    #[test]
    fn permalink_suffix_keeps_the_length_limit() {
        let long = Permalink::parse(&"a".repeat(64)).unwrap();
        let next = long.with_suffix(12);
        assert_eq!(next.as_str().len(), 64);
        assert!(next.as_str().ends_with("-12"));
        assert!(Permalink::parse(next.as_str()).is_ok());
    }

    #[test]
    fn domain_names_are_lowercased_and_checked() {
        assert_eq!(
            DomainName::parse("Mail.Acme.COM.").unwrap().as_str(),
            "mail.acme.com"
        );
        for bad in [
            "acme",
            "-acme.com",
            "acme..com",
            "acme.com/x",
            "1.2.3.4",
            "",
        ] {
            assert!(DomainName::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn time_zones_have_the_iana_shape() {
        for good in [
            "UTC",
            "Europe/Berlin",
            "America/Argentina/Buenos_Aires",
            "Etc/GMT+2",
        ] {
            assert!(TimeZone::parse(good).is_ok(), "{good} refused");
        }
        for bad in ["", "Berlin", "Europe/", "Europe/Ber lin", "../etc/passwd"] {
            assert!(TimeZone::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn monthly_limit_is_bounded() {
        assert!(MonthlyLimit::new(-1).is_err());
        assert!(MonthlyLimit::new(MonthlyLimit::MAX + 1).is_err());
        assert_eq!(MonthlyLimit::new(0).unwrap().get(), 0);
    }

    #[test]
    fn customizations_must_be_a_small_object() {
        assert_eq!(
            Customizations::parse(serde_json::json!([1])),
            Err(CustomizationsError::NotAnObject)
        );
        let big = serde_json::json!({ "x": "y".repeat(CUSTOMIZATIONS_MAX_BYTES) });
        assert_eq!(
            Customizations::parse(big),
            Err(CustomizationsError::TooLarge)
        );
        assert!(Customizations::parse(serde_json::json!({"theme": "dark"})).is_ok());
    }

    #[test]
    fn customizations_refuse_nul_at_any_depth() {
        for bad in [
            serde_json::json!({"a": "x\u{0}"}),
            serde_json::json!({"a\u{0}": 1}),
            serde_json::json!({"a": [{"b\u{0}": true}]}),
            serde_json::json!({"a": {"b": ["\u{0}"]}}),
        ] {
            assert_eq!(Customizations::parse(bad), Err(CustomizationsError::Nul));
        }
    }

    #[test]
    fn a_negative_zero_is_kept_as_the_one_zero() {
        let c = Customizations::parse(serde_json::json!({"a": [-0.0], "b": 0})).unwrap();
        assert_eq!(c.to_value(), serde_json::json!({"a": [0.0], "b": 0}));
        assert_eq!(c.to_value()["a"][0].to_string(), "0.0");
    }

    proptest! {
        #[test]
        fn every_derived_permalink_parses_again(raw in "\\PC{1,300}") {
            if let Ok(n) = OrganizationName::parse(&raw) {
                if let Ok(p) = Permalink::derive_from(&n) {
                    prop_assert_eq!(Permalink::parse(p.as_str()), Ok(p.clone()));
                    prop_assert!(p.as_str().len() <= 64);
                }
            }
        }

        #[test]
        fn permalink_only_ever_holds_its_alphabet(raw in ".{0,80}") {
            if let Ok(p) = Permalink::parse(&raw) {
                prop_assert!(p.as_str().chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
            }
        }

        #[test]
        fn parsed_domains_are_stable(raw in "[a-zA-Z0-9.-]{0,70}") {
            if let Ok(d) = DomainName::parse(&raw) {
                prop_assert_eq!(DomainName::parse(d.as_str()), Ok(d.clone()));
            }
        }
    }
}

//! API keys and session tokens: their modes and the shape of their values.
//!
//! A key value is `live_` or `test_` followed by 64 lower-case hex digits (256 bits of
//! randomness); a session token is `ses_` followed by the same. Only a hash of the value
//! is ever stored; the value itself is shown once, when it is created.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::organization::OrganizationId;
use crate::user::UserId;

/// Random bytes in a key or token: 256 bits, well above the 128 required.
pub const SECRET_BYTES: usize = 32;

/// Whether a key acts on live data or only for testing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyMode {
    /// Production use.
    #[default]
    Live,
    /// Testing: reads, never changes configuration, never counts towards usage.
    Test,
}

/// Why a mode was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("mode must be `live` or `test`")]
pub struct ApiKeyModeError;

impl ApiKeyMode {
    /// Parses `live` or `test`.
    pub fn parse(raw: &str) -> Result<Self, ApiKeyModeError> {
        match raw {
            "live" => Ok(Self::Live),
            "test" => Ok(Self::Test),
            _ => Err(ApiKeyModeError),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "live",
            Self::Test => "test",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Self::Live => "live_",
            Self::Test => "test_",
        }
    }
}

/// What a presented bearer secret claims to be, judged by its shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// An API key of the given mode.
    ApiKey(ApiKeyMode),
    /// A login session token.
    Session,
}

const SESSION_PREFIX: &str = "ses_";

/// Formats a new API key value from fresh random bytes.
///
/// ```
/// # use orgplane_domain::api_key::*;
/// let value = format_api_key(ApiKeyMode::Test, &[0xab; SECRET_BYTES]);
/// assert!(value.starts_with("test_abab"));
/// assert_eq!(classify_secret(&value), Some(SecretKind::ApiKey(ApiKeyMode::Test)));
/// ```
pub fn format_api_key(mode: ApiKeyMode, random: &[u8; SECRET_BYTES]) -> String {
    format!("{}{}", mode.prefix(), hex(random))
}

/// Formats a new session token from fresh random bytes.
pub fn format_session_token(random: &[u8; SECRET_BYTES]) -> String {
    format!("{SESSION_PREFIX}{}", hex(random))
}

/// Tells an API key from a session token by shape; `None` if it is neither.
pub fn classify_secret(value: &str) -> Option<SecretKind> {
    let (kind, rest) = if let Some(rest) = value.strip_prefix("live_") {
        (SecretKind::ApiKey(ApiKeyMode::Live), rest)
    } else if let Some(rest) = value.strip_prefix("test_") {
        (SecretKind::ApiKey(ApiKeyMode::Test), rest)
    } else if let Some(rest) = value.strip_prefix(SESSION_PREFIX) {
        (SecretKind::Session, rest)
    } else {
        return None;
    };
    let well_formed = rest.len() == SECRET_BYTES * 2
        && rest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    well_formed.then_some(kind)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An API key as stored: everything but the value.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiKey {
    /// Integer key.
    pub id: i64,
    /// Public identifier.
    pub uuid: Uuid,
    /// The user the key acts as.
    pub user_id: UserId,
    /// The user's home organization when the key was made (tenant key).
    pub organization_id: OrganizationId,
    /// Live or test.
    pub mode: ApiKeyMode,
    /// The first characters of the value, to recognise it in lists (`live_1a2b…`).
    pub prefix: String,
    /// After this the key stops working.
    pub active_until: Option<DateTime<Utc>>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Last successful use.
    pub last_used_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl ApiKey {
    /// Whether the key authenticates at `now`.
    pub fn is_usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.active_until.is_none_or(|until| now < until)
    }

    /// The display prefix of a value.
    pub fn display_prefix(value: &str) -> String {
        value.chars().take(12).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn only_well_formed_secrets_are_recognised() {
        let good = format_api_key(ApiKeyMode::Live, &[7; SECRET_BYTES]);
        assert_eq!(
            classify_secret(&good),
            Some(SecretKind::ApiKey(ApiKeyMode::Live))
        );
        assert_eq!(
            classify_secret(&format_session_token(&[1; SECRET_BYTES])),
            Some(SecretKind::Session)
        );
        for bad in [
            "",
            "live_",
            "live_abc",
            &good[..good.len() - 1],
            &good.to_uppercase(),
            "prod_00",
        ] {
            assert_eq!(classify_secret(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_key_stops_working_when_revoked_or_expired() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(1);
        let mut key = ApiKey {
            id: 1,
            uuid: Uuid::nil(),
            user_id: UserId(1),
            organization_id: OrganizationId(1),
            mode: ApiKeyMode::Live,
            prefix: "live_0000000".into(),
            active_until: None,
            revoked_at: None,
            last_used_at: None,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
        };
        assert!(key.is_usable_at(now));
        key.active_until = Some(now);
        assert!(!key.is_usable_at(now), "active_until is exclusive");
        key.active_until = Some(now + Duration::seconds(1));
        assert!(key.is_usable_at(now));
        key.revoked_at = Some(now);
        assert!(!key.is_usable_at(now));
    }
}

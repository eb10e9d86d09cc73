//! Users: the people (and the API keys acting for them) behind every request.

use crate::access::Role;
use crate::organization::{DomainName, OrganizationId, PhoneNumber};
use crate::text::Text;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use uuid::Uuid;

/// The integer key of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub i64);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an e-mail address such as `jane@example.com`")]
pub struct EmailError;

/// An e-mail address: `local@domain`, with a DNS domain. Kept as written; compared and
/// stored for uniqueness in lower case ([`Email::normalized`]).
#[derive(Debug, Clone, Eq, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    /// Parses an address (surrounding whitespace dropped).
    ///
    /// ```
    /// # use orgplane_domain::user::Email;
    /// let email = Email::parse(" Jane.Doe@Example.com ").unwrap();
    /// assert_eq!(email.normalized(), "jane.doe@example.com");
    /// assert!(Email::parse("jane@").is_err());
    /// ```
    pub fn parse(raw: &str) -> Result<Self, EmailError> {
        let s = raw.trim();
        let (local, domain) = s.rsplit_once('@').ok_or(EmailError)?;
        let local_ok = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
        if s.len() > 254
            || local.is_empty()
            || local.len() > 64
            || !local.chars().all(local_ok)
            || local.starts_with('.')
            || local.ends_with('.')
            || local.contains("..")
            || DomainName::parse(domain).is_err()
            || domain.ends_with('.')
        {
            return Err(EmailError);
        }
        Ok(Self(s.to_owned()))
    }

    /// The address as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The lower-case form used for uniqueness and look-ups.
    pub fn normalized(&self) -> String {
        self.0.to_ascii_lowercase()
    }
}

impl PartialEq for Email {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_ignore_ascii_case(&other.0)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A user's display name: 1 to 255 characters.
pub type UserName = Text<255>;

/// Why a password was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    /// Shorter than [`Password::MIN_CHARS`].
    #[error("must be at least {min} characters", min = Password::MIN_CHARS)]
    TooShort,
    /// Longer than [`Password::MAX_CHARS`].
    #[error("must be at most {max} characters", max = Password::MAX_CHARS)]
    TooLong,
}

/// A plain-text password that meets the policy. Never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// The shortest password accepted (NIST SP 800-63B asks for at least 8; we ask 12).
    pub const MIN_CHARS: usize = 12;
    /// The longest, to bound hashing work.
    pub const MAX_CHARS: usize = 256;

    /// Accepts a password by length alone, as NIST SP 800-63B recommends.
    pub fn parse(raw: &str) -> Result<Self, PasswordError> {
        let n = raw.chars().count();
        if n < Self::MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if n > Self::MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The secret itself, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// A password as typed, to be checked against a hash. Unlike [`Password`] it is not held
/// to the policy (it may predate it). Never printed, never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordAttempt(String);

impl PasswordAttempt {
    /// Wraps what the user typed.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The secret itself, for the verifier only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordAttempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordAttempt(<redacted>)")
    }
}

/// A password hash in PHC string format. Never serialized.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

/// When a user wants order-preview e-mails (`orderPreviewSendPreference`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderPreviewSendPreference {
    /// Never.
    DoNotSend,
    /// For live-mode orders only.
    #[default]
    SendLiveOnly,
    /// For live and test orders.
    SendLiveAndTest,
}

/// Why an e-mail preference was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be one of do_not_send, send_live_only, send_live_and_test")]
pub struct PreferenceError;

impl OrderPreviewSendPreference {
    /// Parses the wire value.
    pub fn parse(raw: &str) -> Result<Self, PreferenceError> {
        match raw {
            "do_not_send" => Ok(Self::DoNotSend),
            "send_live_only" => Ok(Self::SendLiveOnly),
            "send_live_and_test" => Ok(Self::SendLiveAndTest),
            _ => Err(PreferenceError),
        }
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::DoNotSend => "do_not_send",
            Self::SendLiveOnly => "send_live_only",
            Self::SendLiveAndTest => "send_live_and_test",
        }
    }
}

/// A user's e-mail preferences.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct EmailPreferences {
    /// When to send order previews.
    #[serde(rename = "orderPreviewSendPreference")]
    pub order_preview_send_preference: OrderPreviewSendPreference,
}

/// A user as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// Integer key.
    pub id: UserId,
    /// Public identifier.
    pub uuid: Uuid,
    /// Login and contact address.
    pub email: Email,
    /// Display name.
    pub name: UserName,
    /// Phone number.
    pub phone_number: Option<PhoneNumber>,
    /// argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// Whether the address was confirmed.
    pub verified_email: bool,
    /// Whether the user was invited and has not accepted yet.
    pub pending_invite: bool,
    /// What the user may do in its reach.
    pub roles: Vec<Role>,
    /// E-mail preferences.
    pub email_preferences: EmailPreferences,
    /// Last successful login.
    pub last_login_time: Option<DateTime<Utc>>,
    /// Addresses the user had before, oldest first.
    pub previous_emails: Vec<Email>,
    /// The organization the user belongs to; it reaches this one and its descendants.
    pub home_organization_id: OrganizationId,
    /// The organization the user currently works in (within its reach).
    pub current_organization_id: OrganizationId,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl User {
    /// Changes the address, remembering the old one.
    pub fn change_email(&mut self, email: Email) -> bool {
        if self.email.as_str() == email.as_str() {
            return false;
        }
        let old = std::mem::replace(&mut self.email, email);
        if old != self.email && !self.previous_emails.contains(&old) {
            self.previous_emails.push(old);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn email_equality_ignores_case() {
        assert_eq!(
            Email::parse("A@b.io").unwrap(),
            Email::parse("a@B.IO").unwrap()
        );
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for bad in [
            "",
            "plain",
            "@x.io",
            "a@",
            "a b@x.io",
            "a@x",
            "a..b@x.io",
            ".a@x.io",
            "a@-x.io",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn password_policy_is_about_length() {
        assert_eq!(Password::parse("short"), Err(PasswordError::TooShort));
        assert!(Password::parse("correct horse battery").is_ok());
        assert_eq!(
            Password::parse(&"x".repeat(257)),
            Err(PasswordError::TooLong)
        );
    }

    #[test]
    fn secrets_never_show_in_debug_output() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
        assert!(!format!("{:?}", PasswordAttempt::new("hunter2")).contains("hunter2"));
        assert!(!format!("{:?}", PasswordHash("$argon2id$secret".into())).contains("secret"));
    }

    #[test]
    fn preferences_round_trip() {
        for v in ["do_not_send", "send_live_only", "send_live_and_test"] {
            assert_eq!(OrderPreviewSendPreference::parse(v).unwrap().as_str(), v);
        }
        assert!(OrderPreviewSendPreference::parse("always").is_err());
    }

    proptest! {
        #[test]
        fn parsed_emails_parse_again(local in "[a-z0-9._%+-]{1,20}", domain in "[a-z]{1,10}\\.[a-z]{2,5}") {
            if let Ok(e) = Email::parse(&format!("{local}@{domain}")) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
                prop_assert_eq!(e.normalized(), e.as_str().to_ascii_lowercase());
            }
        }
    }
}

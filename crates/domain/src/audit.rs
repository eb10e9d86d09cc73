//! The audit log (every change) and the access log (every authentication).

use crate::organization::OrganizationId;
use crate::user::UserId;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// Why an audit action filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be an action name such as `organization.update`")]
pub struct ActionNameError;

/// Checks the shape of a log action name (audit: `organization.update`; access log:
/// `LOGIN`): ASCII letters, digits, `_` and `.`, at most 64 characters, e.g. to filter a
/// log by it.
///
/// ```
/// # use orgplane_domain::audit::check_action_name;
/// assert!(check_action_name("organization.update").is_ok());
/// assert!(check_action_name("Robert'); DROP").is_err());
/// ```
pub fn check_action_name(raw: &str) -> Result<&str, ActionNameError> {
    let ok = !raw.is_empty()
        && raw.len() <= 64
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    ok.then_some(raw).ok_or(ActionNameError)
}

/// A change to record: written in the same transaction as the change itself.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAuditEntry {
    /// The organization the change happened in.
    pub organization_id: OrganizationId,
    /// The user who made it (`None` for the operator's console).
    pub actor_user_id: Option<UserId>,
    /// The API key used, if any.
    pub actor_api_key_id: Option<i64>,
    /// The session used, if any.
    pub actor_session_id: Option<i64>,
    /// What happened, `<target>.<verb>` (e.g. `organization.update`).
    pub action: String,
    /// The kind of object changed (`organization`, `user`, `api_key`, ...).
    pub target_type: &'static str,
    /// The public id of the object changed.
    pub target_id: Uuid,
    /// The changed fields and their new values; never secrets.
    pub changes: serde_json::Value,
}

/// A recorded change.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    /// Integer key (orders the log).
    pub id: i64,
    /// The organization, by public id.
    pub organization_id: Uuid,
    /// The actor's e-mail address, if a user acted.
    pub actor: Option<String>,
    /// The actor, by public id.
    pub actor_user_id: Option<Uuid>,
    /// The API key used, by public id.
    pub actor_api_key_id: Option<Uuid>,
    /// What happened.
    pub action: String,
    /// Kind of object.
    pub target_type: String,
    /// Object's public id.
    pub target_id: Uuid,
    /// Changed fields.
    pub changes: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How someone tried to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessAction {
    /// E-mail and password.
    Login,
    /// An API key.
    ApiKey,
    /// A session token.
    Session,
}

impl AccessAction {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "LOGIN",
            Self::ApiKey => "API_KEY",
            Self::Session => "SESSION",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Login, Self::ApiKey, Self::Session]
            .into_iter()
            .find(|a| a.as_str() == raw)
    }
}

/// Whether the attempt succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccessStatus {
    /// Authenticated.
    Success,
    /// Refused.
    Failure,
}

impl AccessStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "SUCCESS",
            Self::Failure => "FAILURE",
        }
    }

    /// Parses a wire name.
    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Success, Self::Failure]
            .into_iter()
            .find(|s| s.as_str() == raw)
    }
}

/// An authentication attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogEntry {
    /// Integer key (orders the log).
    pub id: i64,
    /// The organization the attempt can be tied to.
    pub organization_id: Option<OrganizationId>,
    /// The user, if known.
    pub user_id: Option<UserId>,
    /// The e-mail address used or belonging to the key's user.
    pub email: Option<String>,
    /// How.
    pub action: AccessAction,
    /// Outcome.
    pub status: AccessStatus,
    /// The client's address.
    pub client_ip: Option<String>,
    /// When.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_round_trip() {
        for a in [
            AccessAction::Login,
            AccessAction::ApiKey,
            AccessAction::Session,
        ] {
            assert_eq!(AccessAction::parse(a.as_str()), Some(a));
        }
        for s in [AccessStatus::Success, AccessStatus::Failure] {
            assert_eq!(AccessStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            serde_json::to_string(&AccessAction::ApiKey).unwrap(),
            "\"API_KEY\""
        );
    }
}

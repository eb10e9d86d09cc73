//! Login sessions.

use super::{SecretHash, StoreResult};
use chrono::{DateTime, Utc};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::user::{User, UserId};

/// A login session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    /// Integer key.
    pub id: i64,
    /// The user.
    pub user_id: UserId,
    /// The user's home organization.
    pub organization_id: OrganizationId,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// When logged out, if so.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Login sessions.
pub trait SessionRepository {
    /// Starts a session.
    fn insert_session(
        &mut self,
        user: UserId,
        organization: OrganizationId,
        hash: SecretHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> StoreResult<Session>;
    /// A session by the hash of its token, with its live user (`None` if deleted).
    fn session_by_hash(
        &mut self,
        hash: &SecretHash,
    ) -> StoreResult<Option<(Session, Option<User>)>>;
    /// Ends a session.
    fn revoke_session(&mut self, id: i64, now: DateTime<Utc>) -> StoreResult<()>;
    /// Ends every session of a user but `except`; returns how many were ended.
    fn revoke_user_sessions(
        &mut self,
        user: UserId,
        except: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<u64>;
}

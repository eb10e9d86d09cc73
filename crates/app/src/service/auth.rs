//! Authentication: API keys, login sessions, throttling, the access log.

use super::{audit, Change, Services};
use crate::system::secret_hash;
use chrono::{DateTime, Duration, Utc};
use orgplane_domain::access::{Actor, CredentialKind};
use orgplane_domain::api_key::{classify_secret, format_session_token, SecretKind};
use orgplane_domain::audit::{AccessAction, AccessStatus};
use orgplane_domain::organization::OrganizationId;
use orgplane_domain::user::{Email, User, UserId};
use orgplane_ports::store::{Lock, NewAccessLogEntry, Repositories, Store};
use orgplane_ports::usecase::*;

/// Session lifetime and login throttling.
#[derive(Debug, Clone, Copy)]
pub struct AuthPolicy {
    /// How long a session token works.
    pub session_ttl: Duration,
    /// Failed logins per e-mail address tolerated within `window`.
    pub max_failures_per_email: u64,
    /// Failed logins per client address tolerated within `window`.
    pub max_failures_per_client: u64,
    /// The throttling window.
    pub window: Duration,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            session_ttl: Duration::hours(12),
            max_failures_per_email: 5,
            max_failures_per_client: 30,
            window: Duration::minutes(15),
        }
    }
}

/// A key's `last_used_at` (and its access-log line) is written at most this often, so
/// that authenticated reads do not each cost a write.
fn touch_interval() -> Duration {
    Duration::seconds(60)
}

fn actor(user: &User, credential: CredentialKind, client_ip: &Option<String>) -> Actor {
    Actor {
        client_ip: client_ip.clone(),
        user_id: user.id,
        user_uuid: user.uuid,
        email: user.email.clone(),
        home: user.home_organization_id,
        current: user.current_organization_id,
        roles: user.roles.clone(),
        credential,
    }
}

/// Who a refused credential belongs to: organization, user, e-mail address.
type Owner = (OrganizationId, UserId, Option<String>);

struct Attempt<'a> {
    organization: Option<OrganizationId>,
    user: Option<UserId>,
    email: Option<String>,
    action: AccessAction,
    status: AccessStatus,
    client_ip: &'a Option<String>,
}

fn record(
    r: &mut dyn Repositories,
    attempt: Attempt<'_>,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<i64> {
    r.append_access(
        NewAccessLogEntry {
            organization_id: attempt.organization,
            user_id: attempt.user,
            email: attempt.email,
            action: attempt.action,
            status: attempt.status,
            client_ip: attempt.client_ip.clone(),
        },
        now,
    )
    .map_err(ServiceError::from)
}

impl<S: Store> Services<S> {
    /// Records a failure in its own transaction (the request itself fails).
    fn record_failure(&self, attempt: Attempt<'_>) -> ServiceError {
        let now = self.clock.now();
        match self.tx(|r| record(r, attempt, now)) {
            Ok(_) => ServiceError::Unauthenticated,
            Err(e) => e,
        }
    }

    /// A refused key or token: logged against its owner's organization when we know the
    /// owner; a secret we never issued cannot be tied to any organization.
    fn refused(
        &self,
        owner: Option<Owner>,
        action: AccessAction,
        client_ip: &Option<String>,
    ) -> ServiceError {
        match owner {
            None => ServiceError::Unauthenticated,
            Some((organization, user, email)) => self.record_failure(Attempt {
                organization: Some(organization),
                user: Some(user),
                email,
                action,
                status: AccessStatus::Failure,
                client_ip,
            }),
        }
    }

    fn authenticate_key(&self, hash: [u8; 32], client_ip: &Option<String>) -> ServiceResult<Actor> {
        let now = self.clock.now();
        // One statement, no transaction: the key and the user it acts as.
        let Some((key, user)) = self.store.read(|r| r.api_key_by_hash(&hash))? else {
            return Err(ServiceError::Unauthenticated);
        };
        let user = match user {
            Some(user) if key.is_usable_at(now) => user,
            user => {
                let owner = (
                    key.organization_id,
                    key.user_id,
                    user.map(|u| u.email.to_string()),
                );
                return Err(self.refused(Some(owner), AccessAction::ApiKey, client_ip));
            }
        };
        // A key's use is written down at most once a minute, so that reads stay reads.
        if key
            .last_used_at
            .is_none_or(|at| now - at >= touch_interval())
        {
            self.tx(|r| {
                r.touch_api_key(key.id, now)?;
                let attempt = Attempt {
                    organization: Some(user.home_organization_id),
                    user: Some(user.id),
                    email: Some(user.email.to_string()),
                    action: AccessAction::ApiKey,
                    status: AccessStatus::Success,
                    client_ip,
                };
                record(r, attempt, now).map(|_| ())
            })?;
        }
        let credential = CredentialKind::ApiKey {
            id: key.id,
            mode: key.mode,
        };
        Ok(actor(&user, credential, client_ip))
    }

    fn authenticate_session(
        &self,
        hash: [u8; 32],
        client_ip: &Option<String>,
    ) -> ServiceResult<Actor> {
        let now = self.clock.now();
        let Some((session, user)) = self.store.read(|r| r.session_by_hash(&hash))? else {
            return Err(ServiceError::Unauthenticated);
        };
        let live = session.revoked_at.is_none() && now < session.expires_at;
        match user {
            Some(user) if live => Ok(actor(
                &user,
                CredentialKind::Session { id: session.id },
                client_ip,
            )),
            user => {
                let owner = (
                    session.organization_id,
                    session.user_id,
                    user.map(|u| u.email.to_string()),
                );
                Err(self.refused(Some(owner), AccessAction::Session, client_ip))
            }
        }
    }

    /// Seconds until another password check is allowed, if the address or the client has
    /// used up its failures in the window: until the failure that filled the quota leaves
    /// the window (rounded up, so a client that waits that long is let in).
    fn throttle_wait(
        &self,
        r: &mut dyn Repositories,
        email: &str,
        client_ip: &Option<String>,
        now: DateTime<Utc>,
    ) -> ServiceResult<Option<u64>> {
        let since = now - self.policy.auth.window;
        let wait = |failures: Vec<DateTime<Utc>>, max: u64| -> Option<u64> {
            if (failures.len() as u64) < max {
                return None;
            }
            let until = *failures.last()? + self.policy.auth.window;
            let millis = (until - now).num_milliseconds().max(1);
            Some((millis as u64).div_ceil(1000))
        };
        let max_email = self.policy.auth.max_failures_per_email;
        let by_email = r.recent_login_failures(Some(email), None, since, max_email as usize)?;
        let mut longest = wait(by_email, max_email);
        if let Some(ip) = client_ip {
            let max_client = self.policy.auth.max_failures_per_client;
            let by_client = r.recent_login_failures(None, Some(ip), since, max_client as usize)?;
            longest = longest.max(wait(by_client, max_client));
        }
        Ok(longest)
    }

    /// Checks a password for an address under the throttle. In one short transaction,
    /// serialized per address and client: refuse if throttled, else record the attempt as
    /// a failure *before* verifying, so parallel guesses count at once. Then verify,
    /// outside any transaction; the caller turns the record into a success.
    pub(super) fn check_password(
        &self,
        email: &str,
        password: &str,
        client_ip: &Option<String>,
    ) -> ServiceResult<PasswordCheck> {
        // No address holds control characters, and the access log could not store NUL.
        if email.chars().any(char::is_control) {
            return Err(ServiceError::Invalid(vec![FieldError::new(
                "email",
                "must not contain control characters",
            )]));
        }
        let normalized = email.trim().to_ascii_lowercase();
        let parsed = Email::parse(email).ok();
        let now = self.clock.now();
        let (user, attempt) = self.tx(|r| {
            r.lock_login_attempts(&normalized, client_ip.as_deref())?;
            if let Some(retry_after_secs) = self.throttle_wait(r, &normalized, client_ip, now)? {
                return Err(ServiceError::Throttled { retry_after_secs });
            }
            let user = match &parsed {
                Some(email) => r.user_by_email(email)?,
                None => None,
            };
            let attempt = Attempt {
                organization: user.as_ref().map(|u| u.home_organization_id),
                user: user.as_ref().map(|u| u.id),
                email: Some(normalized.clone()),
                action: AccessAction::Login,
                status: AccessStatus::Failure,
                client_ip,
            };
            let id = record(r, attempt, now)?;
            Ok((user, id))
        })?;
        // Unknown address and wrong password cost the same and answer the same.
        let verified = match &user {
            Some(user) => self.hasher.verify(password, &user.password_hash),
            None => {
                self.hasher.verify_dummy(password);
                false
            }
        };
        Ok(match user.filter(|_| verified) {
            Some(user) => PasswordCheck::Verified {
                user: Box::new(user),
                attempt,
            },
            None => PasswordCheck::Wrong,
        })
    }
}

/// The outcome of [`Services::check_password`].
pub(super) enum PasswordCheck {
    /// Right password; `attempt` is the access-log entry to mark a success.
    Verified { user: Box<User>, attempt: i64 },
    /// Unknown address or wrong password (already recorded as a failure).
    Wrong,
}

impl<S: Store> Authentication for Services<S> {
    fn authenticate(&self, credential: &PresentedCredential) -> ServiceResult<Actor> {
        let hash = secret_hash(&credential.secret);
        match classify_secret(&credential.secret) {
            Some(SecretKind::ApiKey(_)) => self.authenticate_key(hash, &credential.client_ip),
            Some(SecretKind::Session) => self.authenticate_session(hash, &credential.client_ip),
            None => Err(ServiceError::Unauthenticated),
        }
    }

    fn login(
        &self,
        email: &str,
        password: &str,
        client_ip: Option<String>,
    ) -> ServiceResult<LoginGrant> {
        let PasswordCheck::Verified {
            user: verified,
            attempt,
        } = self.check_password(email, password, &client_ip)?
        else {
            return Err(ServiceError::Unauthenticated);
        };
        let now = self.clock.now();
        let token = format_session_token(&self.secrets.secret());
        let expires_at = now + self.policy.auth.session_ttl;
        self.tx(|r| {
            // The password may have changed, or the user gone, while we were verifying.
            let user = r
                .lock_user(verified.id, Lock::Update)?
                .filter(|u| u.password_hash == verified.password_hash)
                .ok_or(ServiceError::Unauthenticated)?;
            r.mark_access_success(attempt)?;
            let session = r.insert_session(
                user.id,
                user.home_organization_id,
                secret_hash(&token),
                expires_at,
                now,
            )?;
            r.record_login(user.id, now)?;
            let me = actor(
                &user,
                CredentialKind::Session { id: session.id },
                &client_ip,
            );
            let fields = serde_json::json!({ "expires_at": expires_at });
            let change = Change {
                action: "session.create",
                target_type: "user",
                target_id: user.uuid,
                fields,
            };
            audit(r, &me, user.home_organization_id, change, now)?;
            Ok(())
        })?;
        Ok(LoginGrant { token, expires_at })
    }

    fn logout(&self, actor: &Actor) -> ServiceResult<()> {
        let now = self.clock.now();
        match actor.credential {
            CredentialKind::Session { id } => self.tx(|r| {
                r.revoke_session(id, now)?;
                let change = Change {
                    action: "session.revoke",
                    target_type: "user",
                    target_id: actor.user_uuid,
                    fields: serde_json::json!({}),
                };
                audit(r, actor, actor.home, change, now)?;
                Ok(())
            }),
            // An API key is revoked through its own route, not by logging out.
            CredentialKind::ApiKey { .. } | CredentialKind::Console => Ok(()),
        }
    }
}

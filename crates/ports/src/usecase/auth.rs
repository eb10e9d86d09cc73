//! Authentication: credentials, login sessions.

use super::ServiceResult;
use chrono::{DateTime, Utc};
use orgplane_domain::access::Actor;

/// A credential as presented on a request. Its `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct PresentedCredential {
    /// The bearer secret (API key or session token).
    pub secret: String,
    /// The client's address, for the access log and throttling.
    pub client_ip: Option<String>,
}

impl std::fmt::Debug for PresentedCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PresentedCredential")
            .field("secret", &"<redacted>")
            .field("client_ip", &self.client_ip)
            .finish()
    }
}

/// Authentication.
pub trait Authentication: Send + Sync {
    /// Resolves a credential to an actor (or `Unauthenticated`), recording failures.
    fn authenticate(&self, credential: &PresentedCredential) -> ServiceResult<Actor>;
    /// Exchanges e-mail and password for a session token.
    fn login(
        &self,
        email: &str,
        password: &str,
        client_ip: Option<String>,
    ) -> ServiceResult<LoginGrant>;
    /// Ends the session the actor used (no-op for API keys).
    fn logout(&self, actor: &Actor) -> ServiceResult<()>;
}

/// A fresh session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginGrant {
    /// The token, shown once.
    pub token: String,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

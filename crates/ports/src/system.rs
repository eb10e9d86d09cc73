//! Outbound ports to the machine: time, randomness, password hashing.

use chrono::{DateTime, Utc};
use orgplane_domain::api_key::SECRET_BYTES;
use orgplane_domain::user::{Password, PasswordHash};

/// The current time.
pub trait Clock: Send + Sync + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, at microsecond precision (what PostgreSQL stores), so that a value
/// reads back exactly as it was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        use chrono::SubsecRound;
        Utc::now().trunc_subsecs(6)
    }
}

/// Cryptographically secure randomness.
pub trait SecretGenerator: Send + Sync + 'static {
    /// Fresh random bytes for a key or token.
    fn secret(&self) -> [u8; SECRET_BYTES];
    /// A fresh UUID v4.
    fn uuid(&self) -> uuid::Uuid;
}

/// Why hashing failed (it should not).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Slow, salted password hashing. Blocking: call it off the async workers.
pub trait PasswordHasher: Send + Sync + 'static {
    /// Hashes a password.
    fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;
    /// Whether `password` matches `hash`. Takes as long for a wrong password as for a right one.
    fn verify(&self, password: &str, hash: &PasswordHash) -> bool;
    /// Spends the time a verification would, against nothing (so unknown users and wrong
    /// passwords cannot be told apart by timing).
    fn verify_dummy(&self, password: &str);
}

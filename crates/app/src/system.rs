//! Adapters for the system ports: argon2id hashing, OS randomness, SHA-256 of secrets.

use argon2::password_hash::{
    PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use orgplane_domain::api_key::SECRET_BYTES;
use orgplane_domain::user::{Password, PasswordHash};
use orgplane_ports::store::SecretHash;
use orgplane_ports::system::{HashError, PasswordHasher, SecretGenerator};
use sha2::{Digest, Sha256};
use std::sync::{Condvar, Mutex};

/// A counting semaphore for blocking code.
#[derive(Debug)]
struct Permits {
    available: Mutex<usize>,
    freed: Condvar,
}

impl Permits {
    fn new(n: usize) -> Self {
        Self {
            available: Mutex::new(n.max(1)),
            freed: Condvar::new(),
        }
    }

    fn run<T>(&self, work: impl FnOnce() -> T) -> T {
        {
            let mut available = self.available.lock().unwrap_or_else(|p| p.into_inner());
            while *available == 0 {
                available = self
                    .freed
                    .wait(available)
                    .unwrap_or_else(|p| p.into_inner());
            }
            *available -= 1;
        }
        // Give the permit back even if `work` panics.
        struct Release<'a>(&'a Permits);
        impl Drop for Release<'_> {
            fn drop(&mut self) {
                *self.0.available.lock().unwrap_or_else(|p| p.into_inner()) += 1;
                self.0.freed.notify_one();
            }
        }
        let _release = Release(self);
        work()
    }
}

/// argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane).
///
/// At most one hash per CPU core runs at a time: a flood of logins queues instead of
/// taking 19 MiB per request and starving everything else.
#[derive(Debug)]
pub struct Argon2Hasher {
    argon2: Argon2<'static>,
    dummy: PasswordHash,
    permits: Permits,
}

impl Argon2Hasher {
    /// The OWASP Password Storage Cheat Sheet's first argon2id configuration.
    pub fn owasp() -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut hasher = Self {
            argon2,
            dummy: PasswordHash(String::new()),
            permits: Permits::new(cores),
        };
        // A real hash to verify against when the user does not exist, so that both paths
        // cost the same.
        let dummy = Password::parse("orgplane-dummy-password")
            .ok()
            .and_then(|p| hasher.hash(&p).ok());
        hasher.dummy = dummy.unwrap_or(PasswordHash(String::new()));
        hasher
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let salt_bytes: [u8; 16] = random_bytes();
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
        self.permits.run(|| {
            self.argon2
                .hash_password(password.expose().as_bytes(), &salt)
                .map(|h| PasswordHash(h.to_string()))
                .map_err(|e| HashError(e.to_string()))
        })
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        match PhcHash::new(&hash.0) {
            Ok(parsed) => self.permits.run(|| {
                self.argon2
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            }),
            Err(_) => {
                self.verify_dummy(password);
                false
            }
        }
    }

    fn verify_dummy(&self, password: &str) {
        if let Ok(parsed) = PhcHash::new(&self.dummy.0) {
            let _ = self
                .permits
                .run(|| self.argon2.verify_password(password.as_bytes(), &parsed));
        }
    }
}

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS random source failing is unrecoverable: no secret may be made without it.
    getrandom::getrandom(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// Randomness from the operating system.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsSecrets;

impl SecretGenerator for OsSecrets {
    fn secret(&self) -> [u8; SECRET_BYTES] {
        random_bytes()
    }

    fn uuid(&self) -> uuid::Uuid {
        uuid::Builder::from_random_bytes(random_bytes()).into_uuid()
    }
}

/// SHA-256 of a key or token. Right for high-entropy secrets (argon2 is for passwords).
pub fn secret_hash(value: &str) -> SecretHash {
    Sha256::digest(value.as_bytes()).into()
}

/// What the store keeps of an idempotency key, and how a recorded answer is sealed: all
/// derived from the key itself (scoped to its user), so that the stored record reveals
/// neither the key, nor what the request held (a password), nor the answer (a new API
/// key's value) to anyone who does not hold the key.
pub struct IdempotencySeal {
    lookup: [u8; 32],
    fingerprint_key: [u8; 32],
    cipher: ChaCha20Poly1305,
}

impl IdempotencySeal {
    /// The seal of `key` used by `user`.
    pub fn new(user: uuid::Uuid, key: &str) -> Self {
        let derive = |purpose: &[u8]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(purpose);
            h.update(user.as_bytes());
            h.update(key.as_bytes());
            h.finalize().into()
        };
        let seal_key = derive(b"orgplane idempotency seal v1\0");
        Self {
            lookup: derive(b"orgplane idempotency lookup v1\0"),
            fingerprint_key: derive(b"orgplane idempotency fingerprint v1\0"),
            cipher: ChaCha20Poly1305::new(&seal_key.into()),
        }
    }

    /// The digest the record is found by.
    pub fn lookup(&self) -> [u8; 32] {
        self.lookup
    }

    /// The fingerprint as stored: keyed, so that it cannot be tried against guesses.
    pub fn fingerprint(&self, request: &[u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.fingerprint_key);
        h.update(request);
        h.finalize().into()
    }

    /// The body, sealed (nonce, then ciphertext with its tag).
    pub fn seal(&self, body: &[u8]) -> Vec<u8> {
        let nonce: [u8; 12] = random_bytes();
        let sealed = self
            .cipher
            .encrypt(&nonce.into(), body)
            .expect("ChaCha20-Poly1305 seals any body that fits in memory");
        [nonce.as_slice(), &sealed].concat()
    }

    /// The body of a sealed record, if it was sealed with this key.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(12)?;
        let nonce: [u8; 12] = nonce.try_into().ok()?;
        self.cipher.decrypt(&nonce.into(), ciphertext).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_answer_opens_with_its_key_only() {
        let user = uuid::Uuid::new_v4();
        let seal = IdempotencySeal::new(user, "batch-1");
        let sealed = seal.seal(b"{\"value\":\"live_secret\"}");
        assert!(!sealed.windows(11).any(|w| w == b"live_secret"));
        assert_eq!(
            seal.open(&sealed).as_deref(),
            Some(&b"{\"value\":\"live_secret\"}"[..])
        );
        assert_eq!(IdempotencySeal::new(user, "batch-2").open(&sealed), None);
        assert_eq!(
            IdempotencySeal::new(uuid::Uuid::new_v4(), "batch-1").open(&sealed),
            None
        );
        assert_ne!(
            seal.lookup(),
            IdempotencySeal::new(user, "batch-2").lookup()
        );
        assert_ne!(seal.fingerprint(&[1; 32]), seal.fingerprint(&[2; 32]));
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hasher = Argon2Hasher::owasp();
        let password = Password::parse("correct horse battery").unwrap();
        let hash = hasher.hash(&password).unwrap();
        assert!(
            hash.0.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{}",
            hash.0
        );
        assert!(hasher.verify("correct horse battery", &hash));
        assert!(!hasher.verify("correct horse battery!", &hash));
        assert!(!hasher.verify("x", &PasswordHash("garbage".into())));
    }

    #[test]
    fn two_hashes_of_one_password_differ() {
        let hasher = Argon2Hasher::owasp();
        let password = Password::parse("correct horse battery").unwrap();
        assert_ne!(
            hasher.hash(&password).unwrap(),
            hasher.hash(&password).unwrap()
        );
    }

    #[test]
    fn permits_bound_how_many_run_at_once() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let permits = Permits::new(2);
        let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    permits.run(|| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn uuids_are_version_4() {
        assert_eq!(OsSecrets.uuid().get_version_num(), 4);
        assert_ne!(OsSecrets.secret(), OsSecrets.secret());
    }
}

//! Adapters for the system ports: argon2id hashing, OS randomness, SHA-256 of secrets.

use argon2::password_hash::{self, Output, ParamsString, PasswordHash as PhcHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::ChaCha20Poly1305;
use orgplane_domain::api_key::SECRET_BYTES;
use orgplane_domain::user::{Password, PasswordHash};
use orgplane_ports::store::SecretHash;
use orgplane_ports::system::{HashError, PasswordHasher, SecretGenerator};
use sha2::{Digest, Sha256};
use std::sync::{Condvar, Mutex};

/// A fixed set of argon2 working memories, one per permit, lent out to blocking code.
///
/// Each hash needs 19 MiB. Allocating it per hash made glibc keep one freed 19 MiB
/// region per blocking thread that ever hashed (its per-thread arenas and adaptive mmap
/// threshold): 2 logins/s took the process from 49 MiB to 318 MiB. Reusing the same few
/// buffers bounds hashing's memory at `permits × 19 MiB`, whatever the thread count.
#[derive(Debug)]
struct Memories {
    idle: Mutex<Vec<Vec<Block>>>,
    /// Memories not yet allocated: made on first use, so a process that never hashes
    /// beyond its start-up never holds them.
    unmade: Mutex<usize>,
    freed: Condvar,
    blocks: usize,
}

impl Memories {
    fn new(permits: usize, blocks: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            unmade: Mutex::new(permits.max(1)),
            freed: Condvar::new(),
            blocks,
        }
    }

    /// Runs `work` with a memory of its own; waits while every memory is lent out.
    fn run<T>(&self, work: impl FnOnce(&mut [Block]) -> T) -> T {
        // Given back even if `work` panics: a lost memory would be a lost permit.
        struct Lent<'a> {
            memories: &'a Memories,
            memory: Vec<Block>,
        }
        impl Drop for Lent<'_> {
            fn drop(&mut self) {
                let memory = std::mem::take(&mut self.memory);
                self.memories
                    .idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(memory);
                self.memories.freed.notify_one();
            }
        }
        let mut lent = Lent {
            memory: self.take(),
            memories: self,
        };
        work(&mut lent.memory)
    }

    fn take(&self) -> Vec<Block> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(memory) = idle.pop() {
                return memory;
            }
            {
                let mut unmade = self.unmade.lock().unwrap_or_else(|p| p.into_inner());
                if *unmade > 0 {
                    *unmade -= 1;
                    return vec![Block::default(); self.blocks];
                }
            }
            idle = self.freed.wait(idle).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// argon2id with OWASP's recommended parameters (19 MiB, 2 iterations, 1 lane).
///
/// At most one hash per CPU core (four at most) runs at a time, each in a working
/// memory kept for the next: a flood of logins queues instead of taking 19 MiB per
/// request and starving everything else.
#[derive(Debug)]
pub struct Argon2Hasher {
    params: Params,
    dummy: PasswordHash,
    memories: Memories,
}

/// How many passwords are hashed at once: one per core, at most four (76 MiB of working
/// memory at most, whatever the machine). The HTTP edge lets as many hashing use cases
/// run at once.
pub fn hashes_at_once() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(4)
}

impl Argon2Hasher {
    /// The OWASP Password Storage Cheat Sheet's first argon2id configuration.
    pub fn owasp() -> Self {
        let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
        let mut hasher = Self {
            memories: Memories::new(hashes_at_once(), params.block_count()),
            params,
            dummy: PasswordHash(String::new()),
        };
        // A real hash to verify against when the user does not exist, so that both paths
        // cost the same.
        let dummy = Password::parse("orgplane-dummy-password")
            .ok()
            .and_then(|p| hasher.hash(&p).ok());
        hasher.dummy = dummy.unwrap_or(PasswordHash(String::new()));
        hasher
    }

    /// argon2 of `password` under `params`, written into an output as long as `len`.
    fn compute(
        &self,
        argon2: &Argon2<'_>,
        password: &[u8],
        salt: &[u8],
        len: usize,
    ) -> password_hash::Result<Output> {
        let blocks = argon2.params().block_count();
        Output::init_with(len, |out| {
            let result = self.memories.run(|memory| {
                if blocks <= memory.len() {
                    argon2.hash_password_into_with_memory(password, salt, out, memory)
                } else {
                    // A stored hash with a larger memory cost than ours (an older
                    // setting): verified in a memory of its own, still under a permit.
                    argon2.hash_password_into(password, salt, out)
                }
            });
            result.map_err(password_hash::Error::from)
        })
    }

    fn check(&self, password: &str, hash: &PhcHash<'_>) -> bool {
        let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
            return false;
        };
        let mut salt_bytes = [0u8; 64];
        let (Ok(algorithm), Ok(params), Ok(salt)) = (
            Algorithm::try_from(hash.algorithm),
            Params::try_from(hash),
            salt.decode_b64(&mut salt_bytes),
        ) else {
            return false;
        };
        let version = match hash.version.map(Version::try_from).transpose() {
            Ok(version) => version.unwrap_or_default(),
            Err(_) => return false,
        };
        let argon2 = Argon2::new(algorithm, version, params);
        // `Output`'s equality is constant-time.
        self.compute(&argon2, password.as_bytes(), salt, expected.len())
            .is_ok_and(|computed| computed == expected)
    }
}

impl PasswordHasher for Argon2Hasher {
    fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let salt_bytes: [u8; 16] = random_bytes();
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone());
        let len = self
            .params
            .output_len()
            .unwrap_or(Params::DEFAULT_OUTPUT_LEN);
        let phc = self
            .compute(&argon2, password.expose().as_bytes(), &salt_bytes, len)
            .and_then(|output| {
                Ok(PhcHash {
                    algorithm: Algorithm::Argon2id.ident(),
                    version: Some(Version::V0x13.into()),
                    params: ParamsString::try_from(&self.params)?,
                    salt: Some(salt.as_salt()),
                    hash: Some(output),
                }
                .to_string())
            })
            .map_err(|e| HashError(e.to_string()))?;
        Ok(PasswordHash(phc))
    }

    fn verify(&self, password: &str, hash: &PasswordHash) -> bool {
        match PhcHash::new(&hash.0) {
            Ok(parsed) => self.check(password, &parsed),
            Err(_) => {
                self.verify_dummy(password);
                false
            }
        }
    }

    fn verify_dummy(&self, password: &str) {
        if let Ok(parsed) = PhcHash::new(&self.dummy.0) {
            let _ = self.check(password, &parsed);
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
    /// The seal of `key` used by `user`, with a test-mode key or not: test and live
    /// keys of one user never share a record.
    pub fn new(user: uuid::Uuid, test_mode: bool, key: &str) -> Self {
        let derive = |purpose: &[u8]| -> [u8; 32] {
            let mut h = Sha256::new();
            h.update(purpose);
            h.update(user.as_bytes());
            // Live keys and sessions keep the derivation records were made with before.
            if test_mode {
                h.update(b"test mode\0");
            }
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
        let seal = IdempotencySeal::new(user, false, "batch-1");
        let sealed = seal.seal(b"{\"value\":\"live_secret\"}");
        assert!(!sealed.windows(11).any(|w| w == b"live_secret"));
        assert_eq!(
            seal.open(&sealed).as_deref(),
            Some(&b"{\"value\":\"live_secret\"}"[..])
        );
        assert_eq!(
            IdempotencySeal::new(user, false, "batch-2").open(&sealed),
            None
        );
        assert_eq!(
            IdempotencySeal::new(uuid::Uuid::new_v4(), false, "batch-1").open(&sealed),
            None
        );
        assert_ne!(
            seal.lookup(),
            IdempotencySeal::new(user, false, "batch-2").lookup()
        );
        assert_ne!(seal.fingerprint(&[1; 32]), seal.fingerprint(&[2; 32]));
        assert_eq!(
            IdempotencySeal::new(user, true, "batch-1").open(&sealed),
            None,
            "a test-mode key's records are its own"
        );
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
    fn hashing_runs_at_most_as_many_at_once_as_it_has_memories_and_reuses_them() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let memories = Memories::new(2, 4);
        let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let seen = Mutex::new(std::collections::HashSet::new());
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    memories.run(|memory| {
                        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                        most.fetch_max(now, Ordering::SeqCst);
                        seen.lock().unwrap().insert(memory.as_ptr() as usize);
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    })
                });
            }
        });
        assert!(most.load(Ordering::SeqCst) <= 2);
        assert!(
            seen.lock().unwrap().len() <= 2,
            "8 hashes, at most 2 memories"
        );
    }

    #[test]
    fn a_panicking_hash_gives_its_memory_back() {
        let memories = Memories::new(1, 4);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            memories.run(|_| panic!("boom"));
        }));
        assert!(panicked.is_err());
        // The one memory is back: this would wait forever otherwise.
        assert_eq!(memories.run(|m| m.len()), 4);
    }

    #[test]
    fn hashes_of_other_costs_and_variants_verify() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::encode_b64(&[9; 16]).unwrap();
        let hasher = Argon2Hasher::owasp();
        for (algorithm, version, m) in [
            (Algorithm::Argon2id, Version::V0x13, 32 * 1024),
            (Algorithm::Argon2i, Version::V0x13, 8 * 1024),
            (Algorithm::Argon2id, Version::V0x10, 8 * 1024),
        ] {
            let phc = Argon2::new(algorithm, version, Params::new(m, 1, 1, None).unwrap())
                .hash_password(b"correct horse", &salt)
                .unwrap()
                .to_string();
            assert!(
                hasher.verify("correct horse", &PasswordHash(phc.clone())),
                "{phc}"
            );
            assert!(!hasher.verify("correct horsf", &PasswordHash(phc)));
        }
    }

    #[test]
    fn a_hash_made_by_the_argon2_crate_itself_verifies() {
        use argon2::password_hash::PasswordHasher as _;
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        let reference = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"tr0ub4dor&3 horse", &salt)
        .unwrap()
        .to_string();
        let hasher = Argon2Hasher::owasp();
        assert!(hasher.verify("tr0ub4dor&3 horse", &PasswordHash(reference.clone())));
        assert!(!hasher.verify("tr0ub4dor&3 horsE", &PasswordHash(reference)));
    }

    #[test]
    fn uuids_are_version_4() {
        assert_eq!(OsSecrets.uuid().get_version_num(), 4);
        assert_ne!(OsSecrets.secret(), OsSecrets.secret());
    }
}

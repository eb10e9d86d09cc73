//! A security score over what a caller reaches (seed 002's `security_score`), computed
//! from facts the store counts, never set by hand.
//!
//! The score is the mean, in percent and rounded, of three shares, each 1 when there is
//! nothing to count:
//! - users whose e-mail address is verified, of all users;
//! - live API keys that expire (`active_until` set), of all live API keys;
//! - password checks that succeeded in the last 24 hours, of all of them.

/// What the store counts for the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityFacts {
    /// Live users.
    pub users: u64,
    /// Of those, with a verified e-mail address.
    pub verified_users: u64,
    /// Live (unrevoked, unexpired) API keys.
    pub api_keys: u64,
    /// Of those, with an expiry.
    pub expiring_api_keys: u64,
    /// Password checks in the last 24 hours.
    pub password_checks: u64,
    /// Of those, failed.
    pub failed_password_checks: u64,
}

fn share(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part.min(whole) as f64 / whole as f64
    }
}

impl SecurityFacts {
    /// The score, 0 to 100.
    ///
    /// ```
    /// # use orgplane_domain::security::SecurityFacts;
    /// let facts = SecurityFacts { users: 4, verified_users: 3, api_keys: 2, expiring_api_keys: 1,
    ///     password_checks: 10, failed_password_checks: 1 };
    /// // (0.75 + 0.5 + 0.9) / 3 = 71.67 %
    /// assert_eq!(facts.score(), 72);
    /// assert_eq!(SecurityFacts::default().score(), 100);
    /// ```
    pub fn score(&self) -> u8 {
        let verified = share(self.verified_users, self.users);
        let expiring = share(self.expiring_api_keys, self.api_keys);
        let successful = share(
            self.password_checks
                .saturating_sub(self.failed_password_checks),
            self.password_checks,
        );
        ((verified + expiring + successful) / 3.0 * 100.0).round() as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_share_moves_the_score() {
        let perfect = SecurityFacts {
            users: 2,
            verified_users: 2,
            api_keys: 2,
            expiring_api_keys: 2,
            password_checks: 5,
            failed_password_checks: 0,
        };
        assert_eq!(perfect.score(), 100);
        let unverified = SecurityFacts {
            verified_users: 0,
            ..perfect
        };
        assert_eq!(unverified.score(), 67);
        let failing = SecurityFacts {
            failed_password_checks: 5,
            ..perfect
        };
        assert_eq!(failing.score(), 67);
        let worst = SecurityFacts {
            verified_users: 0,
            expiring_api_keys: 0,
            failed_password_checks: 5,
            ..perfect
        };
        assert_eq!(worst.score(), 0);
    }
}

//! Layered configuration: `config/default.toml` (compiled in) < `config/default.toml` and
//! `config/local.toml` on disk < `ORGPLANE__SECTION__KEY` environment variables <
//! `DATABASE_URL`. A bad value fails at start with the name of its key.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

const DEFAULTS: &str = include_str!("../../../config/default.toml");

/// All settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// PostgreSQL.
    pub database: DatabaseSettings,
    /// Authentication.
    pub auth: AuthSettings,
    /// Message events.
    pub events: EventSettings,
    /// Billing.
    pub billing: BillingSettings,
    /// Logging.
    pub log: LogSettings,
}

/// Message event settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventSettings {
    /// How far back an event may lie; per-second counts are kept this long.
    pub retention_secs: u32,
    /// How far ahead an event may lie (clock skew of the sending engine).
    pub future_skew_secs: u32,
    /// Seconds between two rounds of housekeeping (pruning old counters and idempotency
    /// records).
    pub prune_interval_secs: u32,
}

/// Billing settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSettings {
    /// Price of overage (messages beyond the monthly limit), in cents per 1,000 messages.
    pub overage_cents_per_thousand: u32,
    /// The monthly limit a sub-organization created through PostGrid's surface gets
    /// (PostGrid's create takes none).
    pub sub_organization_limit: u32,
}

/// HTTP server settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Listen address, `HOST:PORT` (checked at load; see [`ServerSettings::bind_addr`]).
    pub bind: String,
    /// Worker threads (0: one per core).
    pub workers: usize,
    /// Grace period on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Body size limit.
    pub body_limit_bytes: usize,
    /// Body size limit of `POST /events` (batches of up to 10,000 events).
    pub events_body_limit_bytes: usize,
}

impl ServerSettings {
    /// The listen address.
    pub fn bind_addr(&self) -> SocketAddr {
        // `Settings::load` refuses a configuration whose address does not parse.
        self.bind
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

/// PostgreSQL settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connection URL.
    pub url: String,
    /// Pool size.
    pub pool_max_size: u32,
    /// Idle connections kept.
    pub pool_min_idle: u32,
    /// Seconds to connect.
    pub connect_timeout_secs: u64,
    /// Seconds to wait for a pooled connection.
    pub checkout_timeout_secs: u64,
    /// Milliseconds a statement may run (0: no limit).
    pub statement_timeout_ms: u64,
    /// Milliseconds a statement may wait for a lock (0: no limit).
    pub lock_timeout_ms: u64,
    /// A streaming replica for the read-heavy reports and lists (empty: none).
    pub replica_url: String,
}

/// Authentication settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// Session lifetime.
    pub session_ttl_minutes: u32,
    /// Failed logins per address per window.
    pub login_max_failures_per_email: u32,
    /// Failed logins per client per window.
    pub login_max_failures_per_client: u32,
    /// The throttling window.
    pub login_window_secs: u32,
}

/// Log settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json` (checked at load; see [`LogSettings::format`]).
    pub format: String,
    /// Filter directive.
    pub level: String,
}

impl LogSettings {
    /// The output format.
    pub fn format(&self) -> LogFormat {
        if self.format == "json" {
            LogFormat::Json
        } else {
            LogFormat::Pretty
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or a value has the wrong type.
    #[error("configuration error: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is out of range.
    #[error("configuration error: `{key}` {problem}")]
    Invalid {
        /// The key, e.g. `database.pool_max_size`.
        key: &'static str,
        /// What is wrong.
        problem: &'static str,
    },
}

impl Settings {
    /// Loads from `config_dir` and the process environment.
    pub fn load(config_dir: &Path) -> Result<Self, ConfigError> {
        Self::load_from(config_dir, std::env::vars())
    }

    /// Loads from `config_dir` and the given environment.
    pub fn load_from(
        config_dir: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let env: std::collections::HashMap<String, String> = env.into_iter().collect();
        let database_url = env.get("DATABASE_URL").filter(|u| !u.is_empty()).cloned();
        let settings: Settings = config::Config::builder()
            .add_source(config::File::from_str(DEFAULTS, config::FileFormat::Toml))
            .add_source(config::File::from(config_dir.join("default.toml")).required(false))
            .add_source(config::File::from(config_dir.join("local.toml")).required(false))
            .add_source(
                config::Environment::with_prefix("ORGPLANE")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .source(Some(
                        env.into_iter()
                            .filter(|(k, _)| k.starts_with("ORGPLANE__"))
                            .collect(),
                    )),
            )
            .set_override_option("database.url", database_url)?
            .build()?
            .try_deserialize()?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let invalid = |key, problem| Err(ConfigError::Invalid { key, problem });
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return invalid(
                "server.bind",
                "must be HOST:PORT with an IP address, e.g. 127.0.0.1:8080",
            );
        }
        if !matches!(self.log.format.as_str(), "pretty" | "json") {
            return invalid("log.format", "must be `pretty` or `json`");
        }
        if self.database.url.trim().is_empty() {
            return invalid("database.url", "must not be empty");
        }
        if self.database.pool_max_size == 0 {
            return invalid("database.pool_max_size", "must be at least 1");
        }
        if self.database.pool_min_idle > self.database.pool_max_size {
            return invalid(
                "database.pool_min_idle",
                "must not exceed database.pool_max_size",
            );
        }
        if self.database.checkout_timeout_secs == 0 {
            return invalid("database.checkout_timeout_secs", "must be at least 1");
        }
        if self.server.body_limit_bytes < 1024 {
            return invalid("server.body_limit_bytes", "must be at least 1024");
        }
        if self.server.events_body_limit_bytes < self.server.body_limit_bytes {
            return invalid(
                "server.events_body_limit_bytes",
                "must be at least server.body_limit_bytes",
            );
        }
        if self.auth.session_ttl_minutes == 0 {
            return invalid("auth.session_ttl_minutes", "must be at least 1");
        }
        if self.auth.login_max_failures_per_email == 0 {
            return invalid("auth.login_max_failures_per_email", "must be at least 1");
        }
        if self.auth.login_max_failures_per_client == 0 {
            return invalid("auth.login_max_failures_per_client", "must be at least 1");
        }
        if self.auth.login_window_secs == 0 {
            return invalid("auth.login_window_secs", "must be at least 1");
        }
        // The send limit looks back 60 minutes: the per-second counts must cover that.
        if self.events.retention_secs < 3660 {
            return invalid(
                "events.retention_secs",
                "must be at least 3660 (61 minutes)",
            );
        }
        if self.events.prune_interval_secs == 0 {
            return invalid("events.prune_interval_secs", "must be at least 1");
        }
        Ok(())
    }

    /// The pool settings of the PostgreSQL adapter.
    pub fn pool(&self) -> orgplane_postgres_adapter::PoolSettings {
        orgplane_postgres_adapter::PoolSettings {
            url: self.database.url.clone(),
            max_size: self.database.pool_max_size,
            min_idle: self.database.pool_min_idle,
            connect_timeout: Duration::from_secs(self.database.connect_timeout_secs),
            checkout_timeout: Duration::from_secs(self.database.checkout_timeout_secs),
            statement_timeout: Duration::from_millis(self.database.statement_timeout_ms),
            lock_timeout: Duration::from_millis(self.database.lock_timeout_ms),
            replica_url: Some(self.database.replica_url.clone()).filter(|u| !u.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(env: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Settings::load_from(Path::new("/nonexistent"), env)
    }

    #[test]
    fn defaults_load_without_any_file() {
        let s = load(&[]).unwrap();
        assert_eq!(s.server.bind_addr().to_string(), "127.0.0.1:8080");
        assert_eq!(s.log.format(), LogFormat::Pretty);
    }

    #[test]
    fn environment_overrides_defaults_and_database_url_wins() {
        let s = load(&[
            ("ORGPLANE__SERVER__BIND", "0.0.0.0:9000"),
            ("ORGPLANE__DATABASE__URL", "postgres://a/b"),
            ("DATABASE_URL", "postgres://c/d"),
        ])
        .unwrap();
        assert_eq!(s.server.bind_addr().port(), 9000);
        assert_eq!(s.database.url, "postgres://c/d");
    }

    #[test]
    fn a_bad_value_names_its_key() {
        let err = load(&[("ORGPLANE__DATABASE__POOL_MAX_SIZE", "lots")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("pool_max_size"), "{err}");
        let err = load(&[("ORGPLANE__DATABASE__POOL_MAX_SIZE", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("database.pool_max_size"), "{err}");
        let err = load(&[("ORGPLANE__AUTH__LOGIN_MAX_FAILURES_PER_CLIENT", "0")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("auth.login_max_failures_per_client"), "{err}");
        let err = load(&[("ORGPLANE__SERVER__BIND", "nowhere")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("bind"), "{err}");
        let err = load(&[("ORGPLANE__EVENTS__RETENTION_SECS", "60")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("events.retention_secs"), "{err}");
        let err = load(&[("ORGPLANE__BILLING__OVERAGE_CENTS_PER_THOUSAND", "-5")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("overage_cents_per_thousand"), "{err}");
        let err = load(&[("ORGPLANE__LOG__FORMAT", "xml")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("format"), "{err}");
    }
}

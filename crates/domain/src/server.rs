//! Mail servers: what an organization sends from.
//!
//! A server belongs to one organization, has a name unique within it (case-insensitively)
//! and a permalink derived from that name, a mode, an optional IP pool (one its
//! organization may use: its own or an ancestor's) and an optional hourly send limit.

use crate::ip_pool::IpPoolId;
use crate::organization::OrganizationId;
use crate::slug::{self, PermalinkError};
use crate::suspension::Suspension;
use crate::text::{Text, TextError};
use chrono::{DateTime, Utc};
use std::fmt;
use uuid::Uuid;

/// The integer key of a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(pub i64);

/// A server's display name: 1 to 255 characters, single line; unique within its
/// organization, case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerName(Text<255>);

impl ServerName {
    /// Parses a name, trimming surrounding whitespace.
    pub fn parse(raw: &str) -> Result<Self, TextError> {
        Text::parse(raw).map(Self)
    }

    /// The name itself.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The form two names are compared in for uniqueness.
    pub fn normalized(&self) -> String {
        self.as_str().to_lowercase()
    }
}

impl fmt::Display for ServerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Words a server permalink never is (Postal's list: they collide with its UI routes).
pub const RESERVED_SERVER_PERMALINKS: &[&str] = &[
    "new", "all", "search", "stats", "edit", "manage", "delete", "destroy", "remove",
];

/// A server's URL-safe handle, unique within its organization: `[a-z0-9-]`, no
/// leading/trailing hyphen, 1 to 64 characters, none of [`RESERVED_SERVER_PERMALINKS`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerPermalink(String);

impl ServerPermalink {
    /// Accepts an exact permalink.
    pub fn parse(raw: &str) -> Result<Self, PermalinkError> {
        slug::check(raw, RESERVED_SERVER_PERMALINKS).map(|()| Self(raw.to_owned()))
    }

    /// The permalinks to try, in order, for a server called `name`: the derived one
    /// (unless reserved), then `-2`, `-3`, ... up to `count` in all.
    ///
    /// ```
    /// # use orgplane_domain::server::{ServerName, ServerPermalink};
    /// let name = ServerName::parse("Marketing Server").unwrap();
    /// let all = ServerPermalink::candidates(&name, 2).unwrap();
    /// assert_eq!(all[0].as_str(), "marketing-server");
    /// assert_eq!(all[1].as_str(), "marketing-server-2");
    /// ```
    pub fn candidates(name: &ServerName, count: u32) -> Result<Vec<Self>, PermalinkError> {
        slug::candidates(name.as_str(), count, RESERVED_SERVER_PERMALINKS)
            .map(|all| all.into_iter().map(Self).collect())
    }

    /// The permalink itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How a server treats its mail (Postal's two modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ServerMode {
    /// Delivers mail.
    #[default]
    Live,
    /// Holds mail instead of delivering it: for development and testing.
    Development,
}

/// Why a server mode was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be `Live` or `Development`")]
pub struct ServerModeError;

impl ServerMode {
    /// Parses the wire name (`Live`, `Development`).
    pub fn parse(raw: &str) -> Result<Self, ServerModeError> {
        match raw {
            "Live" => Ok(Self::Live),
            "Development" => Ok(Self::Development),
            _ => Err(ServerModeError),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Live => "Live",
            Self::Development => "Development",
        }
    }
}

/// Why a send limit was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be a whole number from 0 to {max}", max = SendLimit::MAX)]
pub struct SendLimitError;

/// The most messages a server may send in any 60 minutes (Postal's `send_limit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SendLimit(i64);

impl SendLimit {
    /// The largest limit accepted.
    pub const MAX: i64 = 1_000_000_000;

    /// Accepts `0..=MAX`.
    pub fn new(value: i64) -> Result<Self, SendLimitError> {
        if (0..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(SendLimitError)
        }
    }

    /// The limit.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// A mail server as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Server {
    /// Integer key.
    pub id: ServerId,
    /// Public identifier.
    pub uuid: Uuid,
    /// The organization it belongs to.
    pub organization_id: OrganizationId,
    /// Display name.
    pub name: ServerName,
    /// Handle, unique within the organization.
    pub permalink: ServerPermalink,
    /// Live or development.
    pub mode: ServerMode,
    /// The pool it sends through; `None`: no pool, so no addresses to send from.
    pub ip_pool_id: Option<IpPoolId>,
    /// Messages per 60 minutes; `None`: no limit.
    pub send_limit: Option<SendLimit>,
    /// Its effective suspension (its own, or its organization's).
    pub suspension: Option<Suspension>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A validated request to create a server.
#[derive(Debug, Clone, PartialEq)]
pub struct NewServer {
    /// Display name.
    pub name: ServerName,
    /// Mode (default `Live`).
    pub mode: ServerMode,
    /// Pool choice.
    pub ip_pool: PoolChoice,
    /// Hourly limit.
    pub send_limit: Option<SendLimit>,
}

/// Which pool a new server, or a changed one, sends through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PoolChoice {
    /// Not said: the organization's default pool (its own, else the nearest ancestor's),
    /// or none if there is none.
    #[default]
    Default,
    /// Explicitly no pool (`null`).
    None,
    /// This pool, by public id.
    Pool(Uuid),
}

/// A validated change to a server. `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerPatch {
    /// New name (the permalink stays).
    pub name: Option<ServerName>,
    /// New mode.
    pub mode: Option<ServerMode>,
    /// New pool (`Some(PoolChoice::None)` removes it).
    pub ip_pool: Option<PoolChoice>,
    /// New hourly limit (`Some(None)` removes it).
    pub send_limit: Option<Option<SendLimit>>,
    /// Suspend (`true`) or lift the server's own suspension (`false`).
    pub suspended: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_are_compared_case_insensitively() {
        let a = ServerName::parse(" Marketing ").unwrap();
        assert_eq!(a.as_str(), "Marketing");
        assert_eq!(
            a.normalized(),
            ServerName::parse("MARKETING").unwrap().normalized()
        );
        assert!(ServerName::parse("").is_err());
        assert!(ServerName::parse("two\nlines").is_err());
    }

    #[test]
    fn a_reserved_word_gets_a_suffix_as_a_server_permalink() {
        let name = ServerName::parse("Stats").unwrap();
        assert_eq!(
            ServerPermalink::candidates(&name, 1).unwrap()[0].as_str(),
            "stats-2"
        );
        assert!(ServerPermalink::parse("stats").is_err());
        assert!(
            ServerPermalink::parse("admin").is_ok(),
            "only Postal's words"
        );
        let symbols = ServerName::parse("!!!").unwrap();
        assert_eq!(
            ServerPermalink::candidates(&symbols, 1),
            Err(PermalinkError::Empty)
        );
    }

    #[test]
    fn modes_and_limits_parse_their_wire_form_only() {
        assert_eq!(ServerMode::parse("Live"), Ok(ServerMode::Live));
        assert_eq!(
            ServerMode::parse("Development"),
            Ok(ServerMode::Development)
        );
        assert!(ServerMode::parse("live").is_err());
        assert!(SendLimit::new(-1).is_err());
        assert!(SendLimit::new(SendLimit::MAX + 1).is_err());
        assert_eq!(SendLimit::new(0).map(SendLimit::get), Ok(0));
    }
}

//! # orgplane-domain
//!
//! The pure heart of Orgplane, the control plane of a multi-tenant email-sending platform.
//! Everything here is synchronous, deterministic and free of I/O: no web framework, no
//! database driver, no async runtime. Other Rust services can embed it as it is.
//!
//! The crate is organised by domain concept:
//!
//! - [`organization`]: organizations and sub-organizations, their validated fields and the
//!   hierarchy rules (depth limit, reach).
//! - [`user`]: users, their e-mail addresses, names and password policy.
//! - [`access`]: roles, permissions and the policy table that says who may do what.
//! - [`api_key`]: API key modes and the shape of a key value.
//! - [`audit`]: audit-log and access-log entries.
//! - [`page`]: keyset pagination (page limits and cursors) and search text.
//! - [`suspension`]: suspending organizations and servers, and what it reaches.
//! - [`server`]: mail servers.
//! - [`ip_pool`], [`ip_address`]: IP pools and the addresses in them.
//! - [`event`]: message events and how a batch becomes counter changes.
//! - [`statistics`], [`ip_allocation`]: seed 000's live figures and IP allocation,
//!   assembled from counters.
//! - [`sending`]: may a server send now, and through which addresses.
//! - [`usage`]: monthly usage, limits, overage and spend.
//! - [`idempotency`]: idempotency keys.
//! - [`security`]: the security score of what a caller reaches.
//!
//! Values are *parsed, not validated*: a [`organization::Permalink`] or a
//! [`user::Email`] can only ever hold a valid value, so code that receives one never checks
//! it again.
//!
//! ```
//! use orgplane_domain::organization::{OrganizationName, Permalink};
//!
//! let name = OrganizationName::parse("Acme Mail, Inc.").unwrap();
//! let permalink = Permalink::derive_from(&name).unwrap();
//! assert_eq!(permalink.as_str(), "acme-mail-inc");
//! ```
#![warn(missing_docs)]

pub mod access;
pub mod api_key;
pub mod audit;
pub mod event;
pub mod idempotency;
pub mod ip_address;
pub mod ip_allocation;
pub mod ip_pool;
pub mod organization;
pub mod page;
pub mod security;
pub mod sending;
pub mod server;
pub mod statistics;
pub mod suspension;
pub mod tree;
pub mod usage;
pub mod user;

mod slug;
mod text;

pub use text::{Text, TextError};

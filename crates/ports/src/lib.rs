//! # orgplane-ports
//!
//! The boundary between Orgplane's core and the world.
//!
//! - **Outbound ports** ([`store`], [`system`]): what the core needs from outside: a
//!   transactional [`store::Store`] of repositories, a clock, a password hasher, a
//!   source of randomness. Adapters implement them (`orgplane-postgres-adapter`,
//!   `orgplane-memory-adapter`).
//! - **Inbound ports** ([`usecase`]): what the surfaces may ask of the core. The
//!   `orgplane-app` crate implements them; `orgplane-http-adapter` calls them.
//! - **The contract suite** ([`contract`]): one set of repository tests that every store
//!   implementation must pass.

pub mod contract;
pub mod store;
pub mod system;
pub mod usecase;

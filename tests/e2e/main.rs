//! End-to-end tests: the real application over HTTP against a real PostgreSQL.

mod bad_input;
mod dashboard;
mod events;
mod fast_path;
mod faults;
mod fuzz;
mod http;
mod idempotent_creates;
mod identity;
mod infrastructure;
mod msndr;
mod organizations;
mod overview;
mod postal;
mod postgrid;
mod tenant_wall;

//! End-to-end tests: the real application over HTTP against a real PostgreSQL.

mod http;
mod identity;
mod organizations;
mod postal;
mod tenant_wall;

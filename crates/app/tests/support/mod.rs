//! Running the real `orgplane` binary in tests: configuration, bootstrap, serving.

#![allow(dead_code)] // Each test binary uses its own part of this.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long a stopping process may take to finish what is in flight.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 10;

/// The `orgplane` binary over `database_url`, with the repository's configuration.
pub fn orgplane(database_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_orgplane"));
    c.args([
        "--config-dir",
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
    ])
    .env("DATABASE_URL", database_url)
    .env("ORGPLANE__SERVER__WORKERS", "2")
    .env(
        "ORGPLANE__SERVER__SHUTDOWN_TIMEOUT_SECS",
        SHUTDOWN_TIMEOUT_SECS.to_string(),
    )
    .env("ORGPLANE__LOG__LEVEL", "warn")
    .env_remove("RUST_LOG");
    c
}

/// Bootstraps the platform and returns the administrator's key and the platform's id.
pub fn bootstrap(database_url: &str) -> (String, String) {
    let out = orgplane(database_url)
        .args(["admin", "bootstrap", "--email", "ops@example.com"])
        .args(["--password", "correct horse battery", "--json"])
        .output()
        .expect("bootstrap");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let made: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    (
        made["api_key"].as_str().unwrap().to_owned(),
        made["organization_id"].as_str().unwrap().to_owned(),
    )
}

/// A loopback port nothing listens on.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Runs `orgplane serve` from `command` on `port`, once it answers `/healthz`.
pub fn serve(mut command: Command, port: u16) -> Child {
    let child = command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let started = Instant::now();
    while ureq::get(&format!("http://127.0.0.1:{port}/healthz"))
        .call()
        .is_err()
    {
        assert!(started.elapsed() < Duration::from_secs(30), "never served");
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// A fresh connection per request, so that no request rides on a kept-alive one.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new()
        .max_idle_connections(0)
        .timeout(Duration::from_secs(30))
        .build()
}

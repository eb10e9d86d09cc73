//! The `orgplane` command line, as scripts and operators use it.

use orgplane_test_postgres::TestDatabase;
use std::process::{Command, Output};

fn orgplane(db: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_orgplane"))
        .args([
            "--config-dir",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../config"),
        ])
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .output()
        .expect("run orgplane")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn migrate_applies_pending_migrations_once() {
    let db = TestDatabase::empty();
    let first = orgplane(&db, &["migrate"], &[]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let applied = text(&first.stdout);
    assert!(
        applied.lines().count() >= 1 && applied.lines().all(|l| l.starts_with("applied ")),
        "{applied}"
    );
    let again = orgplane(&db, &["migrate"], &[]);
    assert_eq!(text(&again.stdout).trim(), "no pending migrations");
    // And the schema is really there: a bootstrap works on it.
    let made = orgplane(
        &db,
        &[
            "admin",
            "bootstrap",
            "--email",
            "ops@example.com",
            "--password",
            "correct horse battery",
        ],
        &[],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
}

#[test]
fn bootstrap_prints_one_json_object_and_runs_once() {
    let db = TestDatabase::new();
    let out = orgplane(
        &db,
        &[
            "admin",
            "bootstrap",
            "--email",
            "ops@example.com",
            "--password",
            "correct horse battery",
            "--json",
        ],
        &[],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let made: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("one JSON object on stdout");
    for key in ["organization_id", "user_id", "api_key"] {
        assert!(
            made[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key} missing: {made}"
        );
    }
    assert!(made["api_key"].as_str().unwrap().starts_with("live_"));

    let again = orgplane(
        &db,
        &[
            "admin",
            "bootstrap",
            "--email",
            "other@example.com",
            "--password",
            "correct horse battery",
        ],
        &[],
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already bootstrapped"),
        "{}",
        text(&again.stderr)
    );
}

#[test]
fn bootstrap_refuses_bad_credentials_by_name() {
    let db = TestDatabase::new();
    let out = orgplane(
        &db,
        &[
            "admin",
            "bootstrap",
            "--email",
            "not-an-email",
            "--password",
            "correct horse battery",
        ],
        &[],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("--email"),
        "{}",
        text(&out.stderr)
    );
    let out = orgplane(
        &db,
        &[
            "admin",
            "bootstrap",
            "--email",
            "ops@example.com",
            "--password",
            "short",
        ],
        &[],
    );
    assert!(
        text(&out.stderr).contains("--password"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_configuration_fails_at_start_naming_the_key() {
    let db = TestDatabase::new();
    let out = orgplane(
        &db,
        &["serve"],
        &[("ORGPLANE__DATABASE__POOL_MAX_SIZE", "0")],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("database.pool_max_size"),
        "{}",
        text(&out.stderr)
    );
    let out = orgplane(&db, &["serve"], &[("ORGPLANE__SERVER__WORKERS", "many")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("workers"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_unreachable_database_fails_the_start_clearly() {
    let db = TestDatabase::new();
    let out = orgplane(
        &db,
        &["serve", "--bind", "127.0.0.1:0"],
        &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("database"),
        "{}",
        text(&out.stderr)
    );
}

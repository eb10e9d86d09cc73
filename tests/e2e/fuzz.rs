//! Property-based runs of schemathesis (PyPI) against `/openapi.json` of a real server:
//! no input gets a server error, and every answer's status, content type and body are
//! the ones the document declares; invalid input is refused. `make fuzz` runs it longer.

use orgplane_e2e::TestApp;
use std::path::Path;
use std::process::Command;

/// The schemathesis command of the tests' Python environment.
fn schemathesis() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let env = Command::new(root.join("scripts/python-env.sh"))
        .output()
        .expect("scripts/python-env.sh runs");
    assert!(
        env.status.success(),
        "{}",
        String::from_utf8_lossy(&env.stderr)
    );
    let python = String::from_utf8_lossy(&env.stdout).trim().to_owned();
    Path::new(&python).with_file_name("schemathesis")
}

/// Runs schemathesis with `checks` over the operations `selection` picks; panics with its
/// report unless it found nothing.
fn fuzz(app: &TestApp, checks: &str, selection: &[&str]) {
    let examples = std::env::var("ORGPLANE_FUZZ_EXAMPLES").unwrap_or_else(|_| "25".into());
    let seed = std::env::var("ORGPLANE_FUZZ_SEED").unwrap_or_else(|_| "1".into());
    let out = Command::new(schemathesis())
        // Its cache of found failures stays out of the work tree.
        .current_dir(std::env::temp_dir())
        .arg("run")
        .arg(format!("{}/openapi.json", app.base))
        .args(["-H", &format!("Authorization: Bearer {}", app.admin_key)])
        .args(["--checks", checks])
        .args(selection)
        // The stateful phase is left out: schemathesis infers links between operations
        // from field names (POST /orgs → /v1/email/organizations/{id}) that do not hold.
        .args(["--phases", "examples,coverage,fuzzing"])
        // One worker: CPython 3.11 keeps the AST constructor's recursion depth per
        // interpreter, so two threads parsing at once (hypothesis describes its lambdas
        // by parsing their source) fail with "AST constructor recursion depth mismatch"
        // (python/cpython#106905), an error of the tool, not of the server.
        .args([
            "--max-examples",
            &examples,
            "--seed",
            &seed,
            "--workers",
            "1",
        ])
        .args(["--no-color"])
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&out.stdout);
    let summary: Vec<&str> = report
        .lines()
        .map(str::trim)
        .filter(|l| {
            l.starts_with("Seed")
                || (l.starts_with(|c: char| c.is_ascii_digit()) && l.contains(" generated"))
        })
        .collect();
    println!("fuzz: {checks}: {}", summary.join("; "));
    assert!(
        out.status.success(),
        "schemathesis found failures (seed {seed}):\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn generated_requests_get_declared_answers_and_never_a_server_error() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    app.infrastructure(&t.key, &t.org, "192.0.2.50");
    fuzz(
        &app,
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection",
        &["--exclude-path-regex", "^/api/v1/"],
    );
    // Postal answers invalid parameters with HTTP 200 and an error envelope, by design
    // (seed 000): every other check holds there.
    fuzz(
        &app,
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        &["--include-path-regex", "^/api/v1/"],
    );
}

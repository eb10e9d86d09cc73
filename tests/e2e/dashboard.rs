//! The dashboard: the organization tree route it reads, its bundled assets, and the page
//! itself in real headless Chromium over a seeded data set of 1,000 organizations.

use orgplane_e2e::{seconds_ago, TestApp};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

fn sent(server: &str, ip: &str, count: u64) -> Value {
    json!({"server_id": server, "type": "sent", "ip_address": ip, "count": count, "occurred_at": seconds_ago(0)})
}

#[test]
fn the_tree_lists_the_subtree_depth_first_with_each_organizations_own_figures() {
    // Given a tenant with a nested child that sends, and a sibling tenant.
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let sibling = app.tenant("Globex", None, "admin");
    let team = app.create_org(
        &acme.key,
        json!({"name": "Team", "parent_id": acme.org, "limit": 100}),
    );
    let team = team["id"].as_str().unwrap().to_owned();
    let nested = app.create_org(&acme.key, json!({"name": "Nested", "parent_id": team}));
    let infra = app.infrastructure(&acme.key, &team, "192.0.2.7");
    let r = app.post(
        "/events",
        &acme.key,
        json!({"events": [sent(&infra.server, "192.0.2.7", 120), {"server_id": infra.server, "type": "queued", "count": 3}]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);

    // When the tenant reads its tree.
    let tree = app.get(&format!("/orgs/{}/tree", acme.org), &acme.key);

    // Then it sees itself, then Team, then Nested; Team's figures are its server's.
    assert_eq!(tree.status, 200, "{}", tree.text);
    let orgs = tree.body["organizations"].as_array().unwrap();
    let names: Vec<_> = orgs.iter().map(|o| o["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Acme", "Team", "Nested"]);
    assert_eq!(orgs[0]["parent_id"], Value::Null);
    assert_eq!(orgs[2]["parent_id"], json!(team));
    assert_eq!(orgs[2]["depth"], 2);
    assert_eq!(orgs[1]["servers_count"], 1);
    assert_eq!(orgs[1]["sent_count"], 120);
    assert_eq!(orgs[1]["message_rate"], 2.0);
    assert_eq!(orgs[1]["queued_count"], 3);
    assert_eq!(orgs[1]["this_month"]["usage"], 120);
    assert_eq!(orgs[1]["this_month"]["limit"], 100);
    assert_eq!(orgs[1]["this_month"]["overage"], 20);
    assert_eq!(
        orgs[0]["sent_count"], 0,
        "a parent shows its own servers only"
    );
    assert_eq!(tree.body["truncated"], false);
    // The same figures as the organization's own statistics.
    let stats = app.get(&format!("/orgs/{team}/statistics"), &acme.key);
    assert_eq!(
        stats.body["statistics"]["total_sent"],
        orgs[1]["sent_count"]
    );

    // And a limit keeps the oldest organizations, saying that some were left out.
    let cut = app.get(&format!("/orgs/{}/tree?limit=2", acme.org), &acme.key);
    assert_eq!(cut.body["organizations"].as_array().unwrap().len(), 2);
    assert_eq!(cut.body["truncated"], true);
    // A subtree's root shows no parent; the sibling's tree is out of reach.
    let sub = app.get(&format!("/orgs/{team}/tree"), &acme.key);
    assert_eq!(sub.body["organizations"][0]["parent_id"], Value::Null);
    assert_eq!(sub.body["organizations"][1]["id"], nested["id"]);
    app.get(&format!("/orgs/{}/tree", sibling.org), &acme.key)
        .assert_problem(404);
}

#[test]
fn the_reach_tree_is_the_home_tree_for_a_tenant_and_every_tree_for_the_operator() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    let globex = app.tenant("Globex", None, "admin");
    app.create_org(&acme.key, json!({"name": "Team", "parent_id": acme.org}));
    let names = |key: &str| -> Vec<(String, u64)> {
        let r = app.get("/orgs/tree", key);
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["organization_id"], Value::Null);
        r.body["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                (
                    o["name"].as_str().unwrap().to_owned(),
                    o["depth"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    assert_eq!(names(&acme.key), [("Acme".into(), 0), ("Team".into(), 1)]);
    assert_eq!(names(&globex.key), [("Globex".into(), 0)]);
    let all = names(&app.admin_key);
    for top in ["Acme", "Globex"] {
        assert!(all.contains(&(top.to_owned(), 0)), "{all:?}");
    }
    assert!(all.contains(&("Team".to_owned(), 1)));
    let limited = app.get("/orgs/tree?limit=1", &app.admin_key);
    assert_eq!(limited.body["truncated"], true);
    app.get("/orgs/tree?limit=0", &acme.key).assert_problem(400);
}

#[test]
fn a_bad_tree_limit_is_refused_and_changes_nothing() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "admin");
    // The key's first use records when it was last used: not part of what is compared.
    app.get("/auth/me", &acme.key);
    let before = app.fingerprint_except(&["access_log"]);
    for bad in ["0", "5001", "-1", "many", ""] {
        let r = app.get(&format!("/orgs/{}/tree?limit={bad}", acme.org), &acme.key);
        r.assert_problem(400);
        assert_eq!(r.body["errors"][0]["field"], "limit", "{bad}: {}", r.text);
    }
    assert_eq!(app.fingerprint_except(&["access_log"]), before);
}

#[test]
fn me_names_the_caller_its_credential_and_home() {
    let app = TestApp::spawn();
    let acme = app.tenant("Acme", None, "member");
    let me = app.get("/auth/me", &acme.key);
    assert_eq!(me.status, 200, "{}", me.text);
    assert_eq!(me.body["email"], acme.email);
    assert_eq!(me.body["user_id"], json!(acme.user));
    assert_eq!(me.body["organization_id"], json!(acme.org));
    assert_eq!(me.body["organization_name"], "Acme");
    assert_eq!(me.body["roles"], json!(["member"]));
    assert_eq!(me.body["credential"], "live_key");
    let token = app.login(&acme.email, &acme.password);
    assert_eq!(app.get("/auth/me", &token).body["credential"], "session");
    app.get("/auth/me", "live_nonsense").assert_problem(401);
}

#[test]
fn the_dashboard_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn();
    let page = app.raw("GET", "/dashboard", &[], b"");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(page.text.contains("/dashboard/assets/dashboard.js"));
    let etag = page.header("etag").unwrap().to_owned();
    let again = app.raw("GET", "/dashboard", &[("If-None-Match", &etag)], b"");
    assert_eq!(again.status, 304);
    let weak = format!("\"other\", W/{etag}");
    let listed = app.raw("GET", "/dashboard", &[("If-None-Match", &weak)], b"");
    assert_eq!(listed.status, 304, "a weak tag in a list matches");
    let stale = app.raw("GET", "/dashboard", &[("If-None-Match", "\"old\"")], b"");
    assert_eq!(stale.status, 200);
    for (asset, kind) in [
        ("dashboard.js", "text/javascript"),
        ("dashboard.css", "text/css"),
        ("uPlot.iife.min.js", "text/javascript"),
        ("uPlot.LICENSE.txt", "text/plain"),
    ] {
        let r = app.raw("GET", &format!("/dashboard/assets/{asset}"), &[], b"");
        assert_eq!(r.status, 200, "{asset}");
        assert!(
            r.header("content-type").unwrap().starts_with(kind),
            "{asset}"
        );
    }
    app.raw("GET", "/dashboard/assets/nope.js", &[], b"")
        .assert_problem(404);
    app.raw("GET", "/dashboard/assets/..%2FCargo.toml", &[], b"")
        .assert_problem(404);
}

/// The browser environment: Debian's chromium and playwright-core (installed by the
/// script when missing).
fn browser_env(root: &Path) -> (String, String) {
    let out = Command::new(root.join("scripts/browser-env.sh"))
        .output()
        .expect("scripts/browser-env.sh runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    let chromium = lines.next().expect("chromium path").to_owned();
    let modules = lines.next().expect("node_modules path").to_owned();
    (chromium, modules)
}

/// 1,000 organizations in Acme's tree (3 named, nested, and 997 more), with servers,
/// pools, one address in two pools, traffic this month, and more than a page of audit
/// entries; a sibling tenant with traffic of its own.
fn seed(app: &TestApp) -> (orgplane_e2e::Tenant, orgplane_e2e::Tenant, String) {
    let acme = app.tenant("Acme", None, "admin");
    let globex = app.tenant("Globex Sibling", None, "admin");
    let eu = app.create_org(&acme.key, json!({"name": "Acme EU", "parent_id": acme.org}));
    let eu = eu["id"].as_str().unwrap().to_owned();
    let paris = app.create_org(
        &acme.key,
        json!({"name": "Acme EU Paris", "parent_id": eu, "limit": 50_000}),
    );
    let paris = paris["id"].as_str().unwrap().to_owned();
    std::thread::scope(|s| {
        for worker in 0..4 {
            let (acme, eu) = (&acme, &eu);
            s.spawn(move || {
                for i in (worker..997).step_by(4) {
                    let parent = if i % 3 == 0 { eu } else { &acme.org };
                    let r = app.post(
                        "/orgs",
                        &acme.key,
                        json!({"name": format!("Shop {i:03}"), "parent_id": parent}),
                    );
                    assert_eq!(r.status, 201, "{}", r.text);
                }
            });
        }
    });
    // Paris: two pools, two addresses, the first in both pools, two servers.
    let a = app.infrastructure(&acme.key, &paris, "192.0.2.10");
    let bulk = app.post(
        &format!("/orgs/{paris}/ip_pools"),
        &acme.key,
        json!({"name": "Bulk"}),
    );
    let bulk = bulk.body["id"].as_str().unwrap().to_owned();
    let second = app.post(
        &format!("/orgs/{paris}/ip_addresses"),
        &acme.key,
        json!({"ipv4": "192.0.2.11", "hostname": "bulk.paris.example"}),
    );
    let second = second.body["id"].as_str().unwrap().to_owned();
    for address in [&a.address, &second] {
        let r = app.call(
            "PUT",
            &format!("/ip_pools/{bulk}/ip_addresses/{address}"),
            Some(&acme.key),
            None,
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let newsletter = app.post(
        &format!("/orgs/{paris}/servers"),
        &acme.key,
        json!({"name": "Newsletter", "ip_pool_id": bulk}),
    );
    let newsletter = newsletter.body["id"].as_str().unwrap().to_owned();
    let events = json!({"events": [
        sent(&a.server, "192.0.2.10", 1_234),
        sent(&newsletter, "192.0.2.10", 2_000),
        sent(&newsletter, "192.0.2.11", 3_500),
        {"server_id": a.server, "type": "queued", "count": 17},
        {"server_id": newsletter, "type": "queued", "count": 240},
    ]});
    let r = app.post("/events", &acme.key, events);
    assert_eq!(r.status, 200, "{}", r.text);
    // More than a page of audit entries in Paris.
    for i in 0..30 {
        let r = app.patch(
            &format!("/orgs/{paris}"),
            &acme.key,
            json!({"city": format!("Paris {i}")}),
        );
        assert_eq!(r.status, 200, "{}", r.text);
    }
    let g = app.infrastructure(&globex.key, &globex.org, "198.51.100.9");
    let r = app.post(
        "/events",
        &globex.key,
        json!({"events": [sent(&g.server, "198.51.100.9", 999)]}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    (acme, globex, paris)
}

#[test]
fn the_dashboard_shows_in_chromium_what_the_api_shows_and_nothing_of_a_sibling() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let (chromium, modules) = browser_env(&root);
    let app = TestApp::spawn();
    let (acme, globex, paris) = seed(&app);
    let out_dir = root.join("target/dashboard-screenshots");
    let _ = std::fs::remove_dir_all(&out_dir);
    let run = Command::new("node")
        .arg(root.join("tests/browser/dashboard.cjs"))
        .env("NODE_PATH", &modules)
        .env("ORGPLANE_CHROMIUM", &chromium)
        .env("ORGPLANE_URL", &app.base)
        .env("ORGPLANE_EMAIL", &acme.email)
        .env("ORGPLANE_PASSWORD", &acme.password)
        .env("ORGPLANE_API_KEY", &acme.key)
        .env("ORGPLANE_ORG", &paris)
        .env("ORGPLANE_SIBLING", &globex.org)
        .env("ORGPLANE_SIBLING_NAME", "Globex Sibling")
        .env("ORGPLANE_MULTI_POOL_IPV4", "192.0.2.10")
        .env("ORGPLANE_PLATFORM_KEY", &app.admin_key)
        .env("ORGPLANE_OUT", &out_dir)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from the browser test:\n{stdout}\n{}",
                String::from_utf8_lossy(&run.stderr)
            )
        });
    println!("dashboard: {}", report["figures"]);
    assert_eq!(report["problems"], json!([]), "{report:#}");
    assert!(run.status.success(), "{report:#}");
    assert_eq!(report["figures"]["tree_rows"], 1_000);
    for shot in ["tree.png", "organization.png", "allocation.png", "logs.png"] {
        assert!(out_dir.join(shot).is_file(), "{shot} saved");
    }
}

//! The canonical organization surface: `/orgs`.

use orgplane_e2e::TestApp;
use serde_json::{json, Value};

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[test]
fn creating_an_organization_answers_201_with_the_whole_object() {
    let app = TestApp::spawn();
    let r = app.post(
        "/orgs",
        &app.admin_key,
        json!({
            "name": "Acme Mail", "domain": "Acme.com", "address": "1 Main St", "city": "Berlin",
            "zip": "10115", "country": "Germany", "country_code": "de", "phone": "+49 30 1234567",
            "time_zone": "Europe/Berlin", "limit": 100000, "customizations": {"theme": "dark"}
        }),
    );
    assert_eq!(r.status, 201, "{}", r.text);
    let org = &r.body;
    assert_eq!(
        r.header("location"),
        Some(format!("/orgs/{}", id(org)).as_str())
    );
    assert_eq!(org["name"], "Acme Mail");
    assert_eq!(org["permalink"], "acme-mail");
    assert_eq!(org["domain"], "acme.com");
    assert_eq!(org["country_code"], "DE");
    assert_eq!(org["limit"], 100000);
    assert_eq!(org["customizations"], json!({"theme": "dark"}));
    assert_eq!(org["parent_id"], Value::Null);
    assert_eq!(org["depth"], 1);
    assert!(org["created_at"].is_string() && org["updated_at"].is_string());

    let read = app.get(&format!("/orgs/{}", id(org)), &app.admin_key);
    assert_eq!(read.status, 200);
    assert_eq!(&read.body, org);
}

#[test]
fn a_sub_organization_knows_its_parent_and_depth() {
    let app = TestApp::spawn();
    let parent = app.create_org(&app.admin_key, json!({"name": "Reseller"}));
    let child = app.create_org(
        &app.admin_key,
        json!({"name": "Customer", "parent_id": id(&parent)}),
    );
    assert_eq!(child["parent_id"], parent["id"]);
    assert_eq!(child["depth"], 2);
    let children = app.get(&format!("/orgs/{}/children", id(&parent)), &app.admin_key);
    assert_eq!(children.status, 200);
    assert_eq!(children.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(children.body["data"][0]["id"], child["id"]);
    assert_eq!(children.body["next_cursor"], Value::Null);
}

#[test]
fn permalinks_are_derived_unique_and_never_reserved() {
    let app = TestApp::spawn();
    let first = app.create_org(&app.admin_key, json!({"name": "Acme"}));
    let second = app.create_org(&app.admin_key, json!({"name": "ACME!"}));
    let reserved = app.create_org(&app.admin_key, json!({"name": "Admin"}));
    assert_eq!(first["permalink"], "acme");
    assert_eq!(second["permalink"], "acme-2");
    assert_eq!(reserved["permalink"], "admin-2");
    let bad = app.post("/orgs", &app.admin_key, json!({"name": "!!!"}));
    bad.assert_problem(400);
    assert_eq!(bad.body["errors"][0]["field"], "name");
}

#[test]
fn lists_are_keyset_paginated_and_filterable() {
    let app = TestApp::spawn();
    let parent = app.create_org(&app.admin_key, json!({"name": "Parent"}));
    for name in ["Alpha", "Beta", "Alphabet"] {
        app.create_org(
            &app.admin_key,
            json!({"name": name, "parent_id": id(&parent)}),
        );
    }
    // Platform, Parent and its three children.
    let first = app.get("/orgs?limit=2", &app.admin_key);
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.body["data"].as_array().unwrap().len(), 2);
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a next page")
        .to_owned();
    let mut seen: Vec<Value> = first.body["data"].as_array().unwrap().clone();
    let mut next = Some(cursor);
    while let Some(c) = next {
        let page = app.get(&format!("/orgs?limit=2&cursor={c}"), &app.admin_key);
        assert_eq!(page.status, 200, "{}", page.text);
        seen.extend(page.body["data"].as_array().unwrap().iter().cloned());
        next = page.body["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), 5);
    let mut ids: Vec<&str> = seen.iter().map(|o| o["id"].as_str().unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "no repeats across pages");

    let search = app.get("/orgs?search=alpha", &app.admin_key);
    let names: Vec<&str> = search.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Alpha", "Alphabet"]);
    let by_parent = app.get(&format!("/orgs?parent_id={}", id(&parent)), &app.admin_key);
    assert_eq!(by_parent.body["data"].as_array().unwrap().len(), 3);
    let literal = app.get("/orgs?search=%25", &app.admin_key);
    assert_eq!(
        literal.body["data"].as_array().unwrap().len(),
        0,
        "% matches literally"
    );
}

#[test]
fn patch_changes_only_the_given_fields_and_null_clears() {
    let app = TestApp::spawn();
    let org = app.create_org(
        &app.admin_key,
        json!({"name": "Acme", "city": "Berlin", "zip": "10115"}),
    );
    let r = app.patch(
        &format!("/orgs/{}", id(&org)),
        &app.admin_key,
        json!({"name": "Updated Organization Name", "city": null}),
    );
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["name"], "Updated Organization Name");
    assert_eq!(r.body["city"], Value::Null);
    assert_eq!(r.body["zip"], "10115");
    assert_eq!(r.body["permalink"], "acme", "the permalink stays stable");

    let audit = app.get(
        &format!("/orgs/{}/audit_log?action=organization.update", id(&org)),
        &app.admin_key,
    );
    assert_eq!(audit.status, 200, "{}", audit.text);
    let entry = &audit.body["data"][0];
    assert_eq!(
        entry["changes"],
        json!({"name": "Updated Organization Name", "city": null})
    );
    assert_eq!(entry["actor"], "admin@platform.example");
}

#[test]
fn delete_answers_the_seed_message_and_the_organization_is_gone() {
    let app = TestApp::spawn();
    let org = app.create_org(&app.admin_key, json!({"name": "Doomed"}));
    let r = app.delete(&format!("/orgs/{}", id(&org)), &app.admin_key);
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"message": "Organization deleted successfully"})
    );
    app.get(&format!("/orgs/{}", id(&org)), &app.admin_key)
        .assert_problem(404);
    app.delete(&format!("/orgs/{}", id(&org)), &app.admin_key)
        .assert_problem(404);
}

#[test]
fn deleting_an_organization_with_children_needs_cascade() {
    let app = TestApp::spawn();
    let parent = app.create_org(&app.admin_key, json!({"name": "Parent"}));
    let child = app.create_org(
        &app.admin_key,
        json!({"name": "Child", "parent_id": id(&parent)}),
    );
    let before = app.fingerprint();
    let refused = app.delete(&format!("/orgs/{}", id(&parent)), &app.admin_key);
    refused.assert_problem(409);
    assert!(refused.body["detail"].as_str().unwrap().contains("cascade"));
    assert_eq!(
        app.fingerprint(),
        before,
        "a refused delete changes nothing"
    );

    let r = app.delete(
        &format!("/orgs/{}?cascade=true", id(&parent)),
        &app.admin_key,
    );
    assert_eq!(r.status, 200, "{}", r.text);
    app.get(&format!("/orgs/{}", id(&child)), &app.admin_key)
        .assert_problem(404);
}

#[test]
fn nobody_deletes_its_own_home_organization() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let r = app.delete(&format!("/orgs/{}", t.org), &t.key);
    r.assert_problem(409);
    assert!(
        r.body["detail"].as_str().unwrap().contains("home"),
        "{}",
        r.text
    );
}

#[test]
fn customizations_are_read_and_replaced_whole() {
    let app = TestApp::spawn();
    let org = app.create_org(
        &app.admin_key,
        json!({"name": "Acme", "customizations": {"a": 1, "b": 2}}),
    );
    let path = format!("/orgs/{}/customizations", id(&org));
    assert_eq!(
        app.get(&path, &app.admin_key).body,
        json!({"customizations": {"a": 1, "b": 2}})
    );
    let put = app.put(
        &path,
        &app.admin_key,
        json!({"customizations": {"logo": {"url": "https://x.example/l.png"}}}),
    );
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(
        app.get(&path, &app.admin_key).body,
        json!({"customizations": {"logo": {"url": "https://x.example/l.png"}}})
    );
    assert_eq!(
        app.get(&format!("/orgs/{}", id(&org)), &app.admin_key).body["customizations"]["logo"]
            ["url"],
        "https://x.example/l.png"
    );
}

#[test]
fn customizations_read_back_exactly_whatever_numbers_they_hold() {
    let app = TestApp::spawn();
    let org = app.create_org(&app.admin_key, json!({"name": "Acme"}));
    let path = format!("/orgs/{}/customizations", id(&org));
    let auth = format!("Bearer {}", app.admin_key);
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/json"),
    ];
    // The extremes of what JSON numbers can hold here, and text beyond ASCII.
    let raw = r#"{"customizations": {"max": 1.7976931348623157e308, "min": -1.7976931348623157e308,
        "tiny": 5e-324, "normal_min": 2.2250738585072014e-308, "tenth": 0.1, "big": 1e21,
        "huge_int": 123456789012345678901234567890, "u64": 18446744073709551615,
        "i64": -9223372036854775808, "neg_zero": -0.0, "one": 1.0,
        "nested": {"list": [1, 2.5, "ä😀", null, true]}}}"#;
    let put = app.raw("PUT", &path, &headers, raw.as_bytes());
    assert_eq!(put.status, 200, "{}", put.text);
    let sent: Value = serde_json::from_str(raw).unwrap();
    // Every route that reads the organization keeps working and reads back what was sent
    // (-0.0 reads back as 0.0: JSON numbers have one zero).
    for read in [app.get(&path, &app.admin_key).body, put.body.clone()] {
        assert_eq!(read, sent, "customizations changed on the way through");
        assert_eq!(read["customizations"]["neg_zero"].to_string(), "0.0");
    }
    let whole = app.get(&format!("/orgs/{}", id(&org)), &app.admin_key);
    assert_eq!(whole.status, 200, "{}", whole.text);
    assert_eq!(whole.body["customizations"], sent["customizations"]);
    let listed = app.get("/orgs", &app.admin_key);
    assert_eq!(listed.status, 200, "{}", listed.text);
}

#[test]
fn text_that_cannot_be_stored_is_refused_before_the_database() {
    let app = TestApp::spawn();
    let org = app.create_org(&app.admin_key, json!({"name": "Acme"}));
    let path = format!("/orgs/{}/customizations", id(&org));
    let before = app.fingerprint();
    for body in [
        json!({"customizations": {"a": "x\u{0}y"}}),
        json!({"customizations": {"a\u{0}": 1}}),
        json!({"customizations": {"deep": [{"b": "\u{0}"}]}}),
    ] {
        let r = app.put(&path, &app.admin_key, body);
        r.assert_problem(400);
        assert_eq!(r.body["errors"][0]["field"], "customizations", "{}", r.text);
    }
    let r = app.post(
        "/orgs",
        &app.admin_key,
        json!({"name": "X", "customizations": {"a": "\u{0}"}}),
    );
    r.assert_problem(400);
    for search in ["%00", "a%00b"] {
        app.get(&format!("/orgs?search={search}"), &app.admin_key)
            .assert_problem(400);
    }
    app.get(
        &format!("/orgs/{}/audit_log?action=a%00", id(&org)),
        &app.admin_key,
    )
    .assert_problem(400);
    assert_eq!(app.fingerprint(), before);
    // A NUL in the login e-mail is refused as input, not by the database, and not logged.
    let login = app.call(
        "POST",
        "/auth/login",
        None,
        Some(&json!({"email": "admin\u{0}@platform.example", "password": "whatever it is"})),
    );
    login.assert_problem(400);
    assert_eq!(login.body["errors"][0]["field"], "email");
    assert_eq!(app.fingerprint(), before);
}

#[test]
fn nesting_stops_at_the_documented_depth() {
    let app = TestApp::spawn();
    let mut parent = app.create_org(&app.admin_key, json!({"name": "Level 1"}));
    for level in 2..=8 {
        parent = app.create_org(
            &app.admin_key,
            json!({"name": format!("Level {level}"), "parent_id": id(&parent)}),
        );
    }
    assert_eq!(parent["depth"], 8);
    let before = app.fingerprint();
    let r = app.post(
        "/orgs",
        &app.admin_key,
        json!({"name": "Level 9", "parent_id": id(&parent)}),
    );
    r.assert_problem(400);
    assert_eq!(r.body["errors"][0]["field"], "parent_id");
    assert_eq!(app.fingerprint(), before);
}

/// (what, method, path, body, expected status, field named in `errors`)
type Case<'a> = (
    &'a str,
    &'a str,
    String,
    Option<Value>,
    u16,
    Option<&'a str>,
);

/// Every malformed request answers problem+json with the right status and changes nothing.
#[test]
fn bad_input_is_refused_clearly_and_changes_nothing() {
    let app = TestApp::spawn();
    let org = app.create_org(&app.admin_key, json!({"name": "Acme"}));
    let org_path = format!("/orgs/{}", id(&org));
    let key = app.admin_key.clone();
    let json_headers = [
        ("Authorization", format!("Bearer {key}")),
        ("Content-Type", "application/json".to_owned()),
    ];
    let h: Vec<(&str, &str)> = json_headers.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(300_000));

    let cases: Vec<Case> = vec![
        (
            "missing name",
            "POST",
            "/orgs".into(),
            Some(json!({})),
            400,
            None,
        ),
        (
            "name of wrong type",
            "POST",
            "/orgs".into(),
            Some(json!({"name": 5})),
            400,
            Some("name"),
        ),
        (
            "empty name",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "  "})),
            400,
            Some("name"),
        ),
        (
            "unknown field",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "colour": "red"})),
            400,
            None,
        ),
        (
            "unknown country code",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "country_code": "XX"})),
            400,
            Some("country_code"),
        ),
        (
            "bad domain",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "domain": "not a domain"})),
            400,
            Some("domain"),
        ),
        (
            "bad time zone",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "time_zone": "Mars"})),
            400,
            Some("time_zone"),
        ),
        (
            "negative limit",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "limit": -1})),
            400,
            Some("limit"),
        ),
        (
            "customizations not an object",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "customizations": [1]})),
            400,
            Some("customizations"),
        ),
        (
            "customizations too large",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "customizations": {"x": "y".repeat(20_000)}})),
            400,
            Some("customizations"),
        ),
        (
            "parent id not a uuid",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "parent_id": "nope"})),
            400,
            Some("parent_id"),
        ),
        (
            "unknown parent",
            "POST",
            "/orgs".into(),
            Some(json!({"name": "X", "parent_id": uuid::Uuid::new_v4()})),
            404,
            None,
        ),
        (
            "body not an object",
            "POST",
            "/orgs".into(),
            Some(json!([1, 2])),
            400,
            None,
        ),
        (
            "patch of the parent",
            "PATCH",
            org_path.clone(),
            Some(json!({"parent_id": app.platform_id})),
            400,
            None,
        ),
        (
            "patch with a bad phone",
            "PATCH",
            org_path.clone(),
            Some(json!({"phone": "call me"})),
            400,
            Some("phone"),
        ),
        (
            "customizations missing",
            "PUT",
            format!("{org_path}/customizations"),
            Some(json!({"theme": "dark"})),
            400,
            None,
        ),
        (
            "org id not a uuid",
            "GET",
            "/orgs/not-a-uuid".into(),
            None,
            404,
            None,
        ),
        (
            "unknown org",
            "GET",
            format!("/orgs/{}", uuid::Uuid::new_v4()),
            None,
            404,
            None,
        ),
        (
            "limit out of range",
            "GET",
            "/orgs?limit=0".into(),
            None,
            400,
            Some("limit"),
        ),
        (
            "limit not a number",
            "GET",
            "/orgs?limit=ten".into(),
            None,
            400,
            Some("limit"),
        ),
        (
            "foreign cursor",
            "GET",
            "/orgs?cursor=abc".into(),
            None,
            400,
            Some("cursor"),
        ),
        (
            "search too long",
            "GET",
            format!("/orgs?search={}", "a".repeat(101)),
            None,
            400,
            Some("search"),
        ),
        (
            "parent filter not a uuid",
            "GET",
            "/orgs?parent_id=nope".into(),
            None,
            400,
            Some("parent_id"),
        ),
        (
            "cascade not a bool",
            "DELETE",
            format!("{org_path}?cascade=maybe"),
            None,
            400,
            None,
        ),
    ];
    let before = app.fingerprint();
    for (what, method, path, body, status, field) in cases {
        let r = app.call(method, &path, Some(&key), body.as_ref());
        r.assert_problem(status);
        if let Some(field) = field {
            assert_eq!(r.body["errors"][0]["field"], field, "{what}: {}", r.text);
        }
        assert_eq!(app.fingerprint(), before, "{what} changed the database");
    }

    app.raw("POST", "/orgs", &h, b"{\"name\": ")
        .assert_problem(400);
    app.raw("POST", "/orgs", &h, big.as_bytes())
        .assert_problem(413);
    let text = [("Authorization", h[0].1), ("Content-Type", "text/plain")];
    app.raw("POST", "/orgs", &text, b"{\"name\": \"X\"}")
        .assert_problem(415);
    app.raw("PATCH", &org_path, &text, b"{\"name\": \"X\"}")
        .assert_problem(415);
    assert_eq!(app.fingerprint(), before);
}

/// The kept organization counts, compared with a count made now: how many rows differ.
fn counts_astray(app: &TestApp) -> i64 {
    app.query_count(
        "WITH live AS (SELECT * FROM organizations WHERE deleted_at IS NULL), \
         truth AS ( \
           SELECT l.id, \
                  (SELECT count(*) FROM live c WHERE c.parent_id = l.id) AS children, \
                  (SELECT count(*) FROM live d WHERE d.path @> ARRAY[l.id] AND d.id <> l.id) AS descendants \
           FROM live l \
           UNION ALL SELECT 0, (SELECT count(*) FROM live WHERE parent_id IS NULL), (SELECT count(*) FROM live)) \
         SELECT count(*) AS n FROM truth t LEFT JOIN organization_counts c ON c.organization_id = t.id \
         WHERE c.children IS DISTINCT FROM t.children OR c.descendants IS DISTINCT FROM t.descendants",
    )
}

#[test]
fn organization_counts_follow_bulk_writes_and_refuse_what_they_cannot_follow() {
    // Given organizations made through the API, and more written by SQL in one statement
    // each (a parent and its child together), as a bulk load would.
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let team = app.create_org(&t.key, json!({"name": "Team"}))["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_org(&t.key, json!({"name": "Squad", "parent_id": team}));
    app.execute_sql(
        "WITH ids AS (SELECT nextval('organizations_id_seq') AS p, nextval('organizations_id_seq') AS c) \
         INSERT INTO organizations (id, uuid, name, permalink, parent_id, parent_uuid, path, customizations, created_at, updated_at) \
         SELECT p, gen_random_uuid(), 'Bulk parent', 'bulk-parent', NULL, NULL::uuid, ARRAY[p], '{}'::jsonb, now(), now() FROM ids \
         UNION ALL \
         SELECT c, gen_random_uuid(), 'Bulk child', 'bulk-child', p, NULL::uuid, ARRAY[p, c], '{}'::jsonb, now(), now() FROM ids",
    );
    assert_eq!(counts_astray(&app), 0, "after the bulk insert");

    // When a subtree is deleted through the API, and two organizations in one statement.
    app.delete(&format!("/orgs/{team}?cascade=true"), &t.key);
    app.execute_sql("UPDATE organizations SET deleted_at = now() WHERE name LIKE 'Bulk %'");
    assert_eq!(counts_astray(&app), 0, "after the deletes");

    // Then bringing one back, or removing a live one (nothing refers to it), is refused,
    // not miscounted.
    app.execute_sql(
        "INSERT INTO organizations (id, uuid, name, permalink, path, customizations, created_at, updated_at) \
         SELECT n, gen_random_uuid(), 'Solo', 'solo', ARRAY[n], '{}', now(), now() \
         FROM (SELECT nextval('organizations_id_seq') AS n) s",
    );
    for sql in [
        "UPDATE organizations SET deleted_at = NULL WHERE name = 'Bulk child'",
        "DELETE FROM organizations WHERE name = 'Solo'",
    ] {
        let mut conn = app.connect();
        use diesel::RunQueryDsl;
        let refused = diesel::sql_query(sql).execute(&mut conn);
        assert!(refused.is_err(), "{sql} was allowed");
    }
    assert_eq!(counts_astray(&app), 0);
}

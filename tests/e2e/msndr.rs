//! Seed 004, msndr-style organizations: the seed's requests as printed, integer ids, one
//! current organization at a time, `{"message", "errors"}` errors.

use orgplane_e2e::{Response, TestApp};
use serde_json::{json, Value};

const BASE: &str = "/v1/email/organizations";

/// The seed's create body.
fn seed_body() -> Value {
    json!({"name": "My Organization", "address": "Lenina 40", "country": "Russia",
           "city": "Tomsk", "phone": "+7-3822-123-456", "zip": "634000"})
}

fn msndr(app: &TestApp, method: &str, path: &str, key: &str, body: Option<&Value>) -> Response {
    let text = body.map(Value::to_string).unwrap_or_default();
    app.raw(
        method,
        &format!("{BASE}{path}"),
        &[
            ("Authorization", &format!("Bearer {key}")),
            ("Content-Type", "application/json"),
        ],
        text.as_bytes(),
    )
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v.as_object().expect("an object").keys().cloned().collect();
    k.sort();
    k
}

#[track_caller]
fn assert_msndr_error(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{}", r.text);
    assert_eq!(r.content_type, "application/json");
    let k = keys(&r.body);
    assert!(
        k == vec!["message"] || k == vec!["errors", "message"],
        "{}",
        r.text
    );
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
}

fn id(r: &Response) -> i64 {
    r.body["id"].as_i64().expect("an integer id")
}

fn current_ids(app: &TestApp, key: &str) -> Vec<i64> {
    msndr(app, "GET", "?page_size=100", key, None).body["collection"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["current"] == true)
        .map(|o| o["id"].as_i64().unwrap())
        .collect()
}

#[test]
fn the_seed_requests_answer_as_printed() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");

    // Creating: the seed's body, all six fields, answered with an integer id.
    let created = msndr(&app, "POST", "", &t.key, Some(&seed_body()));
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        keys(&created.body),
        vec!["address", "city", "country", "current", "id", "name", "phone", "zip"]
    );
    let mut expected = seed_body();
    expected["id"] = json!(id(&created));
    expected["current"] = json!(false);
    assert_eq!(created.body, expected, "every field as sent");

    // Listing: the caller's own organization (current) and the new one.
    let list = msndr(&app, "GET", "", &t.key, None);
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        keys(&list.body),
        vec![
            "collection",
            "page_number",
            "page_size",
            "total_count",
            "total_pages"
        ]
    );
    assert_eq!(
        (
            &list.body["total_count"],
            &list.body["total_pages"],
            &list.body["page_number"],
            &list.body["page_size"]
        ),
        (&json!(2), &json!(1), &json!(1), &json!(25))
    );
    let collection = list.body["collection"].as_array().unwrap();
    assert_eq!(collection[0]["name"], "Acme");
    assert_eq!(collection[0]["current"], true);
    assert_eq!(collection[1], created.body);

    // Getting, the current one, making the new one current.
    let read = msndr(&app, "GET", &format!("/{}", id(&created)), &t.key, None);
    assert_eq!(read.body, created.body);
    let current = msndr(&app, "GET", "/current", &t.key, None);
    assert_eq!(current.status, 200, "{}", current.text);
    assert_eq!(
        (&current.body["name"], &current.body["current"]),
        (&json!("Acme"), &json!(true))
    );
    let made = msndr(
        &app,
        "PATCH",
        &format!("/{}/current", id(&created)),
        &t.key,
        None,
    );
    assert_eq!(made.status, 200, "{}", made.text);
    expected["current"] = json!(true);
    assert_eq!(made.body, expected);
    assert_eq!(msndr(&app, "GET", "/current", &t.key, None).body, expected);
    assert_eq!(current_ids(&app, &t.key), vec![id(&created)], "exactly one");

    // Changing: the seed's body again, with a new city; only what is sent changes.
    let changed = msndr(
        &app,
        "PATCH",
        &format!("/{}", id(&created)),
        &t.key,
        Some(&json!({"city": "Novosibirsk"})),
    );
    assert_eq!(changed.status, 200, "{}", changed.text);
    expected["city"] = json!("Novosibirsk");
    assert_eq!(changed.body, expected);
    let all = msndr(
        &app,
        "PATCH",
        &format!("/{}", id(&created)),
        &t.key,
        Some(&seed_body()),
    );
    assert_eq!(all.body["city"], "Tomsk");

    // Deleting: 204, then it is gone, and the current organization is the caller's own.
    let deleted = msndr(&app, "DELETE", &format!("/{}", id(&created)), &t.key, None);
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    assert!(deleted.text.is_empty());
    assert_msndr_error(
        &msndr(&app, "GET", &format!("/{}", id(&created)), &t.key, None),
        404,
    );
    let back = msndr(&app, "GET", "/current", &t.key, None);
    assert_eq!(back.body["name"], "Acme");
    assert_eq!(current_ids(&app, &t.key).len(), 1);

    // A platform administrator may pick any organization, a tenant's too.
    let picked = msndr(
        &app,
        "PATCH",
        &format!("/{}/current", id(&back)),
        &app.admin_key,
        None,
    );
    assert_eq!(picked.status, 200, "{}", picked.text);
    assert_eq!(
        msndr(&app, "GET", "/current", &app.admin_key, None).body["name"],
        "Acme"
    );
}

#[test]
fn pages_are_numbered_from_one_and_counted() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    for n in 0..4 {
        let mut body = seed_body();
        body["name"] = json!(format!("Org {n}"));
        assert_eq!(msndr(&app, "POST", "", &t.key, Some(&body)).status, 201);
    }
    let names = |r: &Response| -> Vec<String> {
        r.body["collection"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect()
    };
    let second = msndr(&app, "GET", "?page_number=2&page_size=2", &t.key, None);
    assert_eq!(second.status, 200, "{}", second.text);
    assert_eq!(names(&second), vec!["Org 1", "Org 2"]);
    assert_eq!(
        (
            &second.body["total_count"],
            &second.body["total_pages"],
            &second.body["page_number"],
            &second.body["page_size"]
        ),
        (&json!(5), &json!(3), &json!(2), &json!(2))
    );
    let last = msndr(&app, "GET", "?page_number=3&page_size=2", &t.key, None);
    assert_eq!(names(&last), vec!["Org 3"]);
    let past = msndr(&app, "GET", "?page_number=9&page_size=2", &t.key, None);
    assert_eq!(past.body["collection"], json!([]));
    assert_eq!(past.body["total_pages"], 3);
}

#[test]
fn an_organization_with_sub_organizations_is_deleted_only_with_cascade() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let parent = id(&msndr(&app, "POST", "", &t.key, Some(&seed_body())));
    let uuid = app.get("/orgs", &t.key).body["data"][1]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.create_org(&t.key, json!({"name": "Below", "parent_id": uuid}));
    let refused = msndr(&app, "DELETE", &format!("/{parent}"), &t.key, None);
    assert_msndr_error(&refused, 409);
    let bad = msndr(
        &app,
        "DELETE",
        &format!("/{parent}?cascade=maybe"),
        &t.key,
        None,
    );
    assert_msndr_error(&bad, 400);
    assert!(bad.body["errors"]["cascade"].is_array(), "{}", bad.text);
    let own = msndr(&app, "GET", "/current", &t.key, None);
    assert_msndr_error(
        &msndr(&app, "DELETE", &format!("/{}", id(&own)), &t.key, None),
        409,
    );
    let done = msndr(
        &app,
        "DELETE",
        &format!("/{parent}?cascade=true"),
        &t.key,
        None,
    );
    assert_eq!(done.status, 204, "{}", done.text);
    assert_eq!(msndr(&app, "GET", "", &t.key, None).body["total_count"], 1);
}

#[test]
fn bad_input_answers_the_error_shape_and_changes_nothing() {
    let app = TestApp::spawn();
    let t = app.tenant("Acme", None, "admin");
    let viewer = app.tenant("Acme Viewers", Some(&t.org), "viewer");
    let org = id(&msndr(&app, "POST", "", &t.key, Some(&seed_body())));
    // A key's first use is recorded (once a minute): use each key before the fingerprint.
    assert_eq!(msndr(&app, "GET", "", &viewer.key, None).status, 200);
    let before = app.fingerprint();

    // Every missing field is named at once.
    let empty = msndr(&app, "POST", "", &t.key, Some(&json!({})));
    assert_msndr_error(&empty, 400);
    assert_eq!(
        keys(&empty.body["errors"]),
        vec!["address", "city", "country", "name", "phone", "zip"]
    );
    let cases: Vec<(&str, String, Option<Value>, &str)> = vec![
        ("POST", String::new(), Some(json!({"name": 5})), "name"),
        ("POST", String::new(), Some(json!({"extra": 1})), "extra"),
        ("POST", String::new(), Some(json!([1])), ""),
        ("POST", String::new(), None, ""),
        (
            "PATCH",
            format!("/{org}"),
            Some(json!({"zip": null})),
            "zip",
        ),
        (
            "PATCH",
            format!("/{org}"),
            Some(json!({"name": ""})),
            "name",
        ),
        (
            "PATCH",
            format!("/{org}"),
            Some(json!({"phone": "call me"})),
            "phone",
        ),
        (
            "PATCH",
            format!("/{org}"),
            Some(json!({"parent": 1})),
            "parent",
        ),
        ("GET", "?page_size=0".into(), None, "page_size"),
        ("GET", "?page_size=101".into(), None, "page_size"),
        ("GET", "?page_number=0".into(), None, "page_number"),
        ("GET", "?page_number=x".into(), None, "page_number"),
    ];
    for (method, path, body, field) in &cases {
        let r = msndr(&app, method, path, &t.key, body.as_ref());
        assert_msndr_error(&r, 400);
        if !field.is_empty() {
            assert!(
                r.body["errors"][field].is_array(),
                "{method} {path}: {}",
                r.text
            );
        }
    }
    let not_json = app.raw(
        "POST",
        BASE,
        &[
            ("Authorization", &format!("Bearer {}", t.key)),
            ("Content-Type", "text/plain"),
        ],
        b"name=x",
    );
    assert_msndr_error(&not_json, 400);

    // Ids that name nothing, or something out of reach, answer alike.
    let missing = msndr(&app, "GET", "/999999", &t.key, None);
    assert_msndr_error(&missing, 404);
    for path in ["/abc", "/0", "/-1", "/1.5", "/+1"] {
        let r = msndr(&app, "GET", path, &t.key, None);
        assert_msndr_error(&r, 404);
        assert_eq!(r.body, missing.body, "{path}");
    }
    let platform = msndr(&app, "GET", "/current", &app.admin_key, None);
    let above = msndr(&app, "GET", &format!("/{}", id(&platform)), &t.key, None);
    assert_eq!((above.status, &above.body), (404, &missing.body));
    let make_above = msndr(
        &app,
        "PATCH",
        &format!("/{}/current", id(&platform)),
        &t.key,
        None,
    );
    assert_eq!((make_above.status, &make_above.body), (404, &missing.body));

    // Roles and credentials.
    assert_msndr_error(
        &msndr(&app, "POST", "", &viewer.key, Some(&seed_body())),
        403,
    );
    assert_msndr_error(
        &msndr(&app, "DELETE", &format!("/{org}"), &viewer.key, None),
        404,
    );
    for key in ["", "not-a-key"] {
        assert_msndr_error(&msndr(&app, "GET", "", key, None), 401);
    }
    let none = app.call("GET", BASE, None, None);
    assert_msndr_error(&none, 401);
    let wrong = msndr(&app, "PUT", &format!("/{org}"), &t.key, Some(&seed_body()));
    assert_msndr_error(&wrong, 405);
    assert_eq!(wrong.header("allow"), Some("DELETE, GET, PATCH"));
    assert_msndr_error(&msndr(&app, "GET", "/1/nothing", &t.key, None), 404);

    assert_eq!(app.fingerprint(), before);
}

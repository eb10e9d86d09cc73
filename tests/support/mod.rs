//! End-to-end test support: a real `Application` on a free port over a fresh PostgreSQL
//! database, a bootstrapped platform administrator, and a small HTTP client.

use diesel::{Connection, PgConnection, QueryableByName, RunQueryDsl};
use orgplane_app::config::Settings;
use orgplane_app::Application;
pub use orgplane_test_postgres::Cluster;
use orgplane_test_postgres::TestDatabase;
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// A running service with its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The platform administrator's live key.
    pub admin_key: String,
    /// The platform organization's id.
    pub platform_id: String,
    /// The platform administrator's user id.
    pub admin_user_id: String,
    /// The settings the service runs with.
    pub settings: Settings,
    agent: ureq::Agent,
    db: Database,
}

/// The database a test service runs over.
struct Database {
    url: String,
    name: String,
    maintenance_url: String,
    /// The per-test database of the shared cluster, dropped with the service.
    _owned: Option<TestDatabase>,
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Selected headers (lower-case names).
    pub headers: Vec<(String, String)>,
    /// Body as JSON (`Value::Null` when empty or not JSON).
    pub body: Value,
    /// Body as text.
    pub text: String,
}

impl Response {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Asserts an RFC 9457 problem with this status.
    #[track_caller]
    pub fn assert_problem(&self, status: u16) -> &Self {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(
            self.content_type, "application/problem+json",
            "{}",
            self.text
        );
        assert_eq!(self.body["status"], json!(status), "{}", self.text);
        assert!(
            self.body["type"].as_str().is_some_and(|t| !t.is_empty()),
            "{}",
            self.text
        );
        assert!(
            self.body["title"].is_string() && self.body["detail"].is_string(),
            "{}",
            self.text
        );
        self
    }
}

/// Settings for a test service over `url`, plus any `ORGPLANE__...` overrides.
pub fn settings(url: &str, overrides: &[(&str, &str)]) -> Settings {
    let mut env = vec![
        (
            "ORGPLANE__SERVER__BIND".to_owned(),
            "127.0.0.1:0".to_owned(),
        ),
        ("ORGPLANE__SERVER__WORKERS".to_owned(), "2".to_owned()),
        (
            "ORGPLANE__DATABASE__POOL_MAX_SIZE".to_owned(),
            "4".to_owned(),
        ),
        (
            "ORGPLANE__DATABASE__POOL_MIN_IDLE".to_owned(),
            "0".to_owned(),
        ),
        ("DATABASE_URL".to_owned(), url.to_owned()),
    ];
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    Settings::load_from(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../config"),
        env,
    )
    .expect("test settings")
}

impl TestApp {
    /// Starts a service over a fresh database and bootstraps the platform.
    pub fn spawn() -> Self {
        Self::spawn_with(&[])
    }

    /// Like [`TestApp::spawn`], with configuration overrides.
    pub fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        let db = TestDatabase::new();
        let database = Database {
            url: db.url.clone(),
            name: db.name().to_owned(),
            maintenance_url: db.maintenance_url(),
            _owned: Some(db),
        };
        Self::spawn_over(database, overrides)
    }

    /// Like [`TestApp::spawn_with`], over a migrated database `name` of a cluster of the
    /// test's own (for tests that stop the database).
    pub fn spawn_on(cluster: &Cluster, name: &str, overrides: &[(&str, &str)]) -> Self {
        let database = Database {
            url: cluster.migrated_database(name),
            name: name.to_owned(),
            maintenance_url: cluster.url("postgres"),
            _owned: None,
        };
        Self::spawn_over(database, overrides)
    }

    /// Like [`TestApp::spawn_with`], over an existing migrated database.
    pub fn spawn_over_url(
        url: &str,
        name: &str,
        maintenance_url: &str,
        overrides: &[(&str, &str)],
    ) -> Self {
        let database = Database {
            url: url.to_owned(),
            name: name.to_owned(),
            maintenance_url: maintenance_url.to_owned(),
            _owned: None,
        };
        Self::spawn_over(database, overrides)
    }

    fn spawn_over(db: Database, overrides: &[(&str, &str)]) -> Self {
        let settings = settings(&db.url, overrides);
        let port = start(settings.clone());
        let made = orgplane_app::services(&settings)
            .bootstrap("admin@platform.example", "correct horse battery staple")
            .expect("bootstrap");
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(30))
            .build();
        Self {
            base: format!("http://127.0.0.1:{port}"),
            admin_key: made.api_key,
            platform_id: made.organization_id.to_string(),
            admin_user_id: made.user_id.to_string(),
            settings,
            agent,
            db,
        }
    }

    /// The database's name.
    pub fn database_name(&self) -> &str {
        &self.db.name
    }

    /// The database's URL.
    pub fn database_url(&self) -> &str {
        &self.db.url
    }

    /// Sends a request with an optional bearer credential and JSON body.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Response {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        if let Some(key) = key {
            req = req.set("Authorization", &format!("Bearer {key}"));
        }
        let result = match body {
            Some(b) => req.send_json(b.clone()),
            None => req.call(),
        };
        into_response(result)
    }

    /// Sends raw bytes with the given headers.
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        let mut req = self.agent.request(method, &format!("{}{path}", self.base));
        for (name, value) in headers {
            req = req.set(name, value);
        }
        into_response(req.send_bytes(body))
    }

    /// GET with the given key.
    pub fn get(&self, path: &str, key: &str) -> Response {
        self.call("GET", path, Some(key), None)
    }

    /// POST JSON with the given key.
    pub fn post(&self, path: &str, key: &str, body: Value) -> Response {
        self.call("POST", path, Some(key), Some(&body))
    }

    /// PATCH JSON with the given key.
    pub fn patch(&self, path: &str, key: &str, body: Value) -> Response {
        self.call("PATCH", path, Some(key), Some(&body))
    }

    /// PUT JSON with the given key.
    pub fn put(&self, path: &str, key: &str, body: Value) -> Response {
        self.call("PUT", path, Some(key), Some(&body))
    }

    /// DELETE with the given key.
    pub fn delete(&self, path: &str, key: &str) -> Response {
        self.call("DELETE", path, Some(key), None)
    }

    /// Creates an organization as `key` and returns its body.
    #[track_caller]
    pub fn create_org(&self, key: &str, body: Value) -> Value {
        let r = self.post("/orgs", key, body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.body
    }

    /// A digest of every row of every table: equal digests mean nothing changed.
    pub fn fingerprint(&self) -> String {
        self.fingerprint_except(&[])
    }

    /// [`TestApp::fingerprint`] without some tables (e.g. the access log, which records
    /// refused credentials on purpose).
    pub fn fingerprint_except(&self, skip: &[&str]) -> String {
        #[derive(QueryableByName)]
        struct Digest {
            #[diesel(sql_type = diesel::sql_types::Text)]
            digest: String,
        }
        let mut conn = PgConnection::establish(&self.db.url).expect("connect for fingerprint");
        let tables = [
            "organizations",
            "users",
            "api_keys",
            "sessions",
            "audit_log",
            "access_log",
            "servers",
            "ip_pools",
            "ip_addresses",
            "ip_pool_addresses",
            "server_queues",
            "sent_seconds",
            "sent_totals",
            "monthly_usage",
            "idempotency_keys",
        ];
        tables
            .iter()
            .filter(|t| !skip.contains(t))
            .map(|t| {
                let sql = format!("SELECT coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') AS digest FROM {t} t");
                let rows: Vec<Digest> = diesel::sql_query(sql).load(&mut conn).expect("fingerprint query");
                format!("{t}:{}", rows[0].digest)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A counter of the statements the database has run (PostgreSQL's
    /// `pg_stat_statements`, over `conn`, which must stay open between two readings);
    /// `None` where the server does not load the extension (an external
    /// `TEST_DATABASE_URL`). Reading it runs one statement itself.
    pub fn statements_run(&self, conn: &mut PgConnection) -> Option<i64> {
        #[derive(QueryableByName)]
        struct Calls {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            calls: i64,
        }
        let rows: Vec<Calls> = diesel::sql_query(
            "SELECT coalesce(sum(calls), 0)::int8 AS calls FROM pg_stat_statements \
             WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())",
        )
        .load(conn)
        .ok()?;
        rows.first().map(|r| r.calls)
    }

    /// A connection to the test database, with `pg_stat_statements` set up in it where
    /// the server loads it.
    pub fn connect(&self) -> PgConnection {
        let mut conn = PgConnection::establish(&self.db.url).expect("connect");
        let _ = diesel::sql_query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            .execute(&mut conn);
        conn
    }

    /// Runs one SQL statement in the test database (to reach behind the API).
    pub fn execute_sql(&self, sql: &str) {
        let mut conn = PgConnection::establish(&self.db.url).expect("connect");
        diesel::sql_query(sql).execute(&mut conn).expect("sql");
    }

    /// The single `bigint` a query answers (to count rows behind the API).
    pub fn query_count(&self, sql: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = PgConnection::establish(&self.db.url).expect("connect");
        let rows: Vec<Count> = diesel::sql_query(sql).load(&mut conn).expect("count query");
        rows.first().map_or(0, |r| r.n)
    }

    /// Runs one SQL statement in the server's maintenance database.
    pub fn execute_admin_sql(&self, sql: &str) {
        let mut conn = PgConnection::establish(&self.db.maintenance_url).expect("connect");
        diesel::sql_query(sql).execute(&mut conn).expect("sql");
    }
}

fn into_response(result: Result<ureq::Response, ureq::Error>) -> Response {
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = response.status();
    let content_type = response
        .header("content-type")
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_owned();
    let headers = response
        .headers_names()
        .into_iter()
        .filter_map(|n| {
            response
                .header(&n)
                .map(|v| (n.to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let text = response.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Response {
        status,
        content_type,
        headers,
        body,
        text,
    }
}

/// An organization with an administrator and the administrator's live key.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// The organization's id.
    pub org: String,
    /// The administrator's id.
    pub user: String,
    /// The administrator's e-mail address.
    pub email: String,
    /// The administrator's password.
    pub password: String,
    /// A live key of the administrator.
    pub key: String,
}

impl TestApp {
    /// Creates an organization (under `parent`, if given) with a user of the given role,
    /// as the platform administrator, and a live key for that user.
    pub fn tenant(&self, name: &str, parent: Option<&str>, role: &str) -> Tenant {
        let mut body = json!({ "name": name });
        if let Some(parent) = parent {
            body["parent_id"] = json!(parent);
        }
        let org = self.create_org(&self.admin_key, body)["id"]
            .as_str()
            .expect("org id")
            .to_owned();
        let slug: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        let (email, password) = (
            format!("{role}@{slug}.example"),
            "correct horse battery".to_owned(),
        );
        let user = self.create_user(&self.admin_key, &org, &email, role);
        let key = self.create_key(&self.admin_key, &user, json!({}));
        Tenant {
            org,
            user,
            email,
            password,
            key,
        }
    }

    /// Logs in and returns the session token.
    #[track_caller]
    pub fn login(&self, email: &str, password: &str) -> String {
        let r = self.call(
            "POST",
            "/auth/login",
            None,
            Some(&json!({ "email": email, "password": password })),
        );
        assert_eq!(r.status, 200, "{}", r.text);
        r.body["token"].as_str().expect("token").to_owned()
    }

    /// Creates a user (password `correct horse battery`) and returns its id.
    #[track_caller]
    pub fn create_user(&self, key: &str, org: &str, email: &str, role: &str) -> String {
        let body = json!({ "email": email, "name": "Test User", "password": "correct horse battery", "roles": [role] });
        let r = self.post(&format!("/orgs/{org}/users"), key, body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["id"].as_str().expect("user id").to_owned()
    }

    /// Creates an API key for `user` and returns its value.
    #[track_caller]
    pub fn create_key(&self, key: &str, user: &str, body: Value) -> String {
        let r = self.post(&format!("/users/{user}/api_keys"), key, body);
        assert_eq!(r.status, 201, "{}", r.text);
        r.body["value"].as_str().expect("key value").to_owned()
    }
}

/// The time `secs` seconds ago, as RFC 3339 UTC (for `occurred_at`).
pub fn seconds_ago(secs: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::seconds(secs))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A server, a pool it sends through and an address in that pool, of one organization.
#[derive(Debug, Clone)]
pub struct Infrastructure {
    /// The server's id.
    pub server: String,
    /// The pool's id.
    pub pool: String,
    /// The address's id.
    pub address: String,
    /// The address's IPv4.
    pub ipv4: String,
}

impl TestApp {
    /// Creates a pool, an address in it (IPv4 `ipv4`) and a server sending through it in
    /// `org`, as `key`.
    #[track_caller]
    pub fn infrastructure(&self, key: &str, org: &str, ipv4: &str) -> Infrastructure {
        let pool = self.post(
            &format!("/orgs/{org}/ip_pools"),
            key,
            json!({"name": format!("Pool {ipv4}")}),
        );
        assert_eq!(pool.status, 201, "{}", pool.text);
        let pool = pool.body["id"].as_str().expect("pool id").to_owned();
        let address = self.post(
            &format!("/orgs/{org}/ip_addresses"),
            key,
            json!({"ipv4": ipv4, "hostname": "mail.example.com"}),
        );
        assert_eq!(address.status, 201, "{}", address.text);
        let address = address.body["id"].as_str().expect("address id").to_owned();
        let joined = self.call(
            "PUT",
            &format!("/ip_pools/{pool}/ip_addresses/{address}"),
            Some(key),
            None,
        );
        assert_eq!(joined.status, 200, "{}", joined.text);
        let server = self.post(
            &format!("/orgs/{org}/servers"),
            key,
            json!({"name": format!("Server {ipv4}"), "ip_pool_id": pool}),
        );
        assert_eq!(server.status, 201, "{}", server.text);
        Infrastructure {
            server: server.body["id"].as_str().expect("server id").to_owned(),
            pool,
            address,
            ipv4: ipv4.to_owned(),
        }
    }
}

/// Starts the application on its own thread; returns the bound port.
fn start(settings: Settings) -> u16 {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let system = actix_web::rt::System::new();
        system.block_on(async move {
            let app = Application::build(&settings).expect("application builds");
            tx.send(app.port()).expect("report port");
            let _ = app.run_until_stopped().await;
        });
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("application started")
}

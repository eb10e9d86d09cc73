//! # orgplane-test-postgres
//!
//! Gives each test a fresh, migrated PostgreSQL database of its own.
//!
//! - With `TEST_DATABASE_URL` set, databases are made on that server.
//! - Otherwise, the first test in a process starts a throwaway cluster from the machine's
//!   PostgreSQL binaries (`initdb` + `pg_ctl`) in a temporary directory, listening only on
//!   a Unix socket there. `initdb` refuses to run as root, so as root the cluster runs as
//!   the `postgres` (else `nobody`) user. A watchdog process stops the cluster and removes
//!   the directory when the test process exits, however it exits.
//!
//! Migrations run once, into a template database; every test database is a cheap copy of
//! it (`CREATE DATABASE ... TEMPLATE`).

mod bouncer;

pub use bouncer::Bouncer;
use diesel::{Connection, PgConnection, RunQueryDsl};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};

struct Server {
    /// URL of the maintenance database, with `{db}` where the database name goes.
    url_template: String,
    template_db: String,
    create_lock: Mutex<()>,
}

/// A database that exists for one test and is dropped afterwards.
#[derive(Debug)]
pub struct TestDatabase {
    /// Connection URL.
    pub url: String,
    name: String,
}

impl TestDatabase {
    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// URL of the server's maintenance database (`postgres`), for statements that must
    /// not run inside the test database itself.
    pub fn maintenance_url(&self) -> String {
        server().url_template.replace("{db}", "postgres")
    }

    /// A fresh, migrated database.
    pub fn new() -> Self {
        let server = server();
        Self::create(server, &server.template_db)
    }

    /// A fresh database without any migration applied (for testing migrations).
    pub fn empty() -> Self {
        Self::create(server(), "template0")
    }

    fn create(server: &Server, template: &str) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // Copying a template fails while another copy of it is being made.
        let _serial = server.create_lock.lock().unwrap_or_else(|p| p.into_inner());
        admin(
            server,
            &format!("CREATE DATABASE {name} TEMPLATE {template}"),
        );
        Self {
            url: server.url_template.replace("{db}", &name),
            name,
        }
    }
}

impl Default for TestDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort; a throwaway cluster goes away whole anyway.
        if let Some(server) = SERVER.get() {
            if let Ok(mut conn) =
                PgConnection::establish(&server.url_template.replace("{db}", "postgres"))
            {
                let _ = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut conn);
            }
        }
    }
}

static SERVER: OnceLock<Server> = OnceLock::new();

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let url_template = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => replace_db_name(&url),
            _ => start_cluster(),
        };
        let template_db = format!("orgplane_template_{}", std::process::id());
        let server = Server {
            url_template,
            template_db,
            create_lock: Mutex::new(()),
        };
        admin(
            &server,
            &format!("DROP DATABASE IF EXISTS {}", server.template_db),
        );
        admin(&server, &format!("CREATE DATABASE {}", server.template_db));
        let template_url = server.url_template.replace("{db}", &server.template_db);
        orgplane_postgres_adapter::migrate_url(&template_url)
            .expect("migrating the template database");
        server
    })
}

fn admin(server: &Server, sql: &str) {
    let url = server.url_template.replace("{db}", "postgres");
    let mut conn =
        PgConnection::establish(&url).unwrap_or_else(|e| panic!("connecting to {url}: {e}"));
    diesel::sql_query(sql)
        .execute(&mut conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// `postgres://u@h:5432/db?x=y` → `postgres://u@h:5432/{db}?x=y`
fn replace_db_name(url: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let path_start = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    let mut out = format!("{}/{{db}}", &base[..path_start]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`.
fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    versions.retain(|p| p.join("initdb").exists());
    versions.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    if let Some(dir) = versions.pop() {
        return dir;
    }
    let which = Command::new("sh")
        .args(["-c", "command -v initdb"])
        .output();
    if let Some(path) = which.ok().filter(|o| o.status.success()) {
        let path = PathBuf::from(String::from_utf8_lossy(&path.stdout).trim());
        if let Some(dir) = path.parent() {
            return dir.to_path_buf();
        }
    }
    panic!(
        "PostgreSQL server binaries (initdb, pg_ctl) not found. Install them (Debian: \
         `apt-get install postgresql`), set PG_BIN to their directory, or set TEST_DATABASE_URL."
    );
}

/// The user the cluster runs as when we are root (initdb refuses root).
fn unprivileged_user() -> Option<&'static str> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let exists = |u: &str| {
        Command::new("id")
            .arg(u)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    Some(if exists("postgres") {
        "postgres"
    } else {
        "nobody"
    })
}

fn command_as(user: Option<&str>, program: &Path) -> Command {
    let mut c = match user {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    };
    // initdb returns to its working directory; the cluster's user may not be allowed into
    // ours (a clone under /root, say), but it can always enter `/`.
    c.current_dir("/");
    c
}

fn run(mut command: Command, what: &str) {
    let out = command.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn start_cluster() -> String {
    // The shared cluster lives as long as the process (its watchdog removes it).
    let cluster = Box::leak(Box::new(Cluster::make(false)));
    cluster.url("{db}")
}

/// A PostgreSQL cluster of its own in a temporary directory, listening on a Unix socket
/// there: for tests that stop and start the database under a running service. It is
/// stopped and removed when dropped, or when the process exits, however it exits.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    user: Option<&'static str>,
    dir: PathBuf,
    data: PathBuf,
    /// Whether a commit is on disk (the WAL written) before it is acknowledged.
    durable: bool,
}

impl Cluster {
    /// Makes and starts a cluster whose acknowledged commits survive a crash of the
    /// server (`synchronous_commit` on; `fsync` stays off: the machine does not crash).
    pub fn start() -> Self {
        Self::make(true)
    }

    fn make(durable: bool) -> Self {
        let cluster = Self::empty(durable);
        let mut initdb = command_as(cluster.user, &cluster.bin.join("initdb"));
        initdb.arg("-D").arg(&cluster.data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ]);
        run(initdb, "initdb");
        cluster.resume();
        cluster
    }

    /// A streaming replica of this cluster (`pg_basebackup -R`), started: it follows
    /// every commit of this one and refuses writes.
    pub fn replica(&self) -> Self {
        let replica = Self::empty(self.durable);
        let mut backup = command_as(replica.user, &replica.bin.join("pg_basebackup"));
        backup
            .arg("-D")
            .arg(&replica.data)
            .arg("-h")
            .arg(&self.dir)
            .args(["-U", "postgres", "-R", "-X", "stream", "-c", "fast"]);
        run(backup, "pg_basebackup");
        replica.resume();
        replica
    }

    /// A cluster directory with nothing in it yet, and its watchdog.
    fn empty(durable: bool) -> Self {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let bin = postgres_bin_dir();
        let user = unprivileged_user();
        let dir = std::env::temp_dir().join(format!(
            "orgplane-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let data = dir.join("data");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("creating the cluster directory");
        if let Some(user) = user {
            run(
                {
                    let mut c = Command::new("chown");
                    c.arg(format!("{user}:")).arg(&dir);
                    c
                },
                "chown cluster directory",
            );
        }
        let cluster = Self {
            bin,
            user,
            dir,
            data,
            durable,
        };
        cluster.watchdog();
        cluster
    }

    /// Stops the cluster and removes its directory once this process is gone.
    fn watchdog(&self) {
        use std::os::unix::process::CommandExt;
        let watchdog = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runas}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
            pid = std::process::id(),
            runas = self.user.map(|u| format!("runuser -u {u} -- ")).unwrap_or_default(),
            pg_ctl = self.bin.join("pg_ctl").display(),
            data = self.data.display(),
            dir = self.dir.display(),
        );
        // Deliberately never waited for: it must outlive this process.
        #[allow(clippy::zombie_processes)]
        let _watchdog = Command::new("sh")
            .args(["-c", &watchdog])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("starting the cluster watchdog");
    }

    fn pg_ctl(&self) -> Command {
        let mut pg_ctl = command_as(self.user, &self.bin.join("pg_ctl"));
        pg_ctl.arg("-D").arg(&self.data);
        pg_ctl
    }

    /// Starts the (stopped) cluster again and waits until it accepts connections.
    pub fn resume(&self) {
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=off -c synchronous_commit={} -c full_page_writes=off -c max_connections=300 -c shared_preload_libraries=pg_stat_statements",
            self.dir.display(),
            if self.durable { "on" } else { "off" }
        );
        let mut pg_ctl = self.pg_ctl();
        pg_ctl
            .arg("-o")
            .arg(options)
            .arg("-l")
            .arg(self.dir.join("log"))
            .args(["-w", "start"]);
        run(pg_ctl, "pg_ctl start");
    }

    /// Stops the cluster abruptly, as a crash would (`pg_ctl -m immediate`): every
    /// connection is cut, nothing is shut down cleanly.
    pub fn crash(&self) {
        let mut pg_ctl = self.pg_ctl();
        pg_ctl.args(["-m", "immediate", "-w", "stop"]);
        run(pg_ctl, "pg_ctl stop");
    }

    /// The directory of the cluster's Unix socket (it listens on nothing else).
    pub fn socket_dir(&self) -> &Path {
        &self.dir
    }

    /// The URL of database `db` in this cluster.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres@localhost/{db}?host={}",
            self.dir.display()
        )
    }

    /// Creates database `name`, migrated, and returns its URL.
    pub fn migrated_database(&self, name: &str) -> String {
        let mut conn = PgConnection::establish(&self.url("postgres"))
            .unwrap_or_else(|e| panic!("connecting to the cluster: {e}"));
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap_or_else(|e| panic!("creating {name}: {e}"));
        let url = self.url(name);
        orgplane_postgres_adapter::migrate_url(&url).expect("migrating");
        url
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let mut pg_ctl = self.pg_ctl();
        let _ = pg_ctl
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced_keeping_the_rest() {
        assert_eq!(
            super::replace_db_name("postgres://u:p@h:5/db?sslmode=disable"),
            "postgres://u:p@h:5/{db}?sslmode=disable"
        );
        assert_eq!(
            super::replace_db_name("postgres://u@h"),
            "postgres://u@h/{db}"
        );
    }
}

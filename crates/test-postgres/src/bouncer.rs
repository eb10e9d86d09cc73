//! PgBouncer (Debian's package) in front of a [`Cluster`], in session mode, for the
//! scale-out test: the layout the README describes, on loopback.

use super::{command_as, run, unprivileged_user, Cluster};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running PgBouncer that pools one database of a cluster; stopped when dropped.
#[derive(Debug)]
pub struct Bouncer {
    child: Child,
    dir: PathBuf,
    port: u16,
}

/// The pgbouncer binary, from `scripts/pgbouncer-env.sh` (which installs it if it can).
fn binary() -> PathBuf {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../scripts/pgbouncer-env.sh"
    );
    let out = Command::new(script)
        .output()
        .unwrap_or_else(|e| panic!("{script}: {e}"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Bouncer {
    /// Starts PgBouncer on a free loopback port, pooling database `db` of `cluster` in
    /// session mode (what Orgplane needs: its prepared statements and `SET`s are per
    /// connection), with room for `pool_size` server connections.
    pub fn start(cluster: &Cluster, db: &str, pool_size: u32) -> Self {
        let user = unprivileged_user();
        let dir = std::env::temp_dir().join(format!(
            "orgplane-pgbouncer-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("creating the pgbouncer directory");
        let port = free_port();
        let ini = format!(
            "[databases]\n\
             {db} = host={socket} port=5432 dbname={db}\n\
             [pgbouncer]\n\
             listen_addr = 127.0.0.1\n\
             listen_port = {port}\n\
             unix_socket_dir =\n\
             auth_type = trust\n\
             auth_file = {dir}/users.txt\n\
             pool_mode = session\n\
             default_pool_size = {pool_size}\n\
             max_client_conn = 500\n\
             server_check_query = select 1\n\
             logfile = {dir}/pgbouncer.log\n\
             pidfile = {dir}/pgbouncer.pid\n",
            socket = cluster.socket_dir().display(),
            dir = dir.display(),
        );
        std::fs::write(dir.join("pgbouncer.ini"), ini).expect("writing pgbouncer.ini");
        std::fs::write(dir.join("users.txt"), "\"postgres\" \"\"\n").expect("users.txt");
        if let Some(user) = user {
            // PgBouncer refuses to run as root.
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["-R", &format!("{user}:")]).arg(&dir);
                    c
                },
                "chown pgbouncer directory",
            );
        }
        let mut command = command_as(user, &binary());
        let child = command
            .arg(dir.join("pgbouncer.ini"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting pgbouncer");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "pgbouncer never listened; its log:\n{}",
                std::fs::read_to_string(dir.join("pgbouncer.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, dir, port }
    }

    /// The URL of the pooled database, through PgBouncer.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        // By its pid file: a SIGKILL to `runuser` would not reach pgbouncer.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pgbouncer.pid")) {
            let _ = Command::new("kill")
                .args(["-INT", pid.trim()])
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

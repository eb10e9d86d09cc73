//! The `orgplane` command line: `serve`, `migrate`, `admin bootstrap`.

use clap::{Parser, Subcommand};
use orgplane_app::config::Settings;
use orgplane_app::{telemetry, Application};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Orgplane: the control plane of a multi-tenant email-sending platform.
#[derive(Parser)]
#[command(name = "orgplane", version)]
struct Cli {
    /// Directory holding default.toml and local.toml.
    #[arg(
        long,
        global = true,
        default_value = "config",
        env = "ORGPLANE_CONFIG_DIR"
    )]
    config_dir: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve every API surface.
    Serve {
        /// Listen address (overrides server.bind).
        #[arg(long)]
        bind: Option<SocketAddr>,
    },
    /// Apply pending migrations and exit.
    Migrate,
    /// Operator tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create the platform organization and its first administrator, and print a live API key.
    Bootstrap {
        /// The administrator's e-mail address.
        #[arg(long)]
        email: String,
        /// The administrator's password (at least 12 characters).
        #[arg(long)]
        password: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(&cli.config_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("orgplane: {e}");
            return ExitCode::from(2);
        }
    };
    let _logs = telemetry::init(&settings.log);
    let result = match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                settings.server.bind = bind.to_string();
            }
            serve(&settings)
        }
        Command::Migrate => migrate(&settings),
        Command::Admin {
            command:
                AdminCommand::Bootstrap {
                    email,
                    password,
                    json,
                },
        } => bootstrap(&settings, &email, &password, json),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("orgplane: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error>;

fn serve(settings: &Settings) -> Result<(), AnyError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        let app = Application::build(settings)?;
        tracing::info!(bind = %settings.server.bind, port = app.port(), "serving");
        app.run_until_stopped().await?;
        tracing::info!("stopped");
        Ok(())
    })
}

fn migrate(settings: &Settings) -> Result<(), AnyError> {
    let applied = orgplane_postgres_adapter::migrate_url(&settings.database.url)?;
    if applied.is_empty() {
        println!("no pending migrations");
    }
    for version in applied {
        println!("applied {version}");
    }
    Ok(())
}

fn bootstrap(settings: &Settings, email: &str, password: &str, json: bool) -> Result<(), AnyError> {
    orgplane_postgres_adapter::migrate_url(&settings.database.url)?;
    let made = orgplane_app::services(settings).bootstrap(email, password)?;
    if json {
        println!("{}", serde_json::to_string(&made)?);
    } else {
        println!("Platform organization: {}", made.organization_id);
        println!("Administrator:         {} ({})", made.email, made.user_id);
        println!("Live API key:          {}", made.api_key);
        println!("Keep the key safe: it is shown only this once.");
    }
    Ok(())
}

//! Runs chapter 16: `cargo run -p ch16-deployment`, then open http://127.0.0.1:8000/docs.
//!
//! Unlike the earlier chapters, `main` builds the runtime itself: the number of worker
//! threads is a setting, and settings are read before any thread starts.

use std::process::ExitCode;

use ch16_deployment::{Settings, app, init_logging, settings};
use clap::Parser;
use kit::{Env, StartError};

// ANCHOR: cli
/// Runs chapter 16's service. Every flag can also be set in the environment or in the file
/// named by CONFIG_FILE (see the book); a flag wins over both.
#[derive(Debug, Parser)]
#[command(name = "ch16-deployment")]
struct Cli {
    /// Address to listen on [HOST, default 127.0.0.1].
    #[arg(long)]
    host: Option<String>,
    /// Port to listen on; 0 takes any free port [PORT, default 8000].
    #[arg(long)]
    port: Option<u16>,
    /// Worker threads of the runtime [WORKERS, default one per CPU].
    #[arg(long)]
    workers: Option<usize>,
}

impl Cli {
    /// The flags given, as settings.
    fn overrides(&self) -> Vec<(&'static str, String)> {
        let mut overrides = Vec::new();
        if let Some(host) = &self.host {
            overrides.push(("HOST", host.clone()));
        }
        if let Some(port) = self.port {
            overrides.push(("PORT", port.to_string()));
        }
        if let Some(workers) = self.workers {
            overrides.push(("WORKERS", workers.to_string()));
        }
        overrides
    }
}
// ANCHOR_END: cli

// ANCHOR: main
fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads every setting, then starts the runtime with its worker threads and serves until
/// Ctrl-C or SIGTERM. Nothing listens before every setting is known to be right.
fn run(cli: &Cli) -> Result<(), StartError> {
    let env = settings::sources(&Env::process(), &cli.overrides())?;
    init_logging(&env)?;
    let settings = Settings::from_env(&env)?;
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(workers) = settings.workers {
        runtime.worker_threads(workers);
    }
    let runtime = runtime
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(async {
        let workers = tokio::runtime::Handle::current().metrics().num_workers();
        tracing::info!(workers, "runtime started");
        let app = app(&settings).await?;
        kit::serve(&settings.listen, app, kit::serve::shutdown_signal()).await
    })
}
// ANCHOR_END: main

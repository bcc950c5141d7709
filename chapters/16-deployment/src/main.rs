//! Runs chapter 16: `cargo run -p ch16-deployment`, then open http://127.0.0.1:8000/docs.
//!
//! Unlike the earlier chapters, `main` builds the runtime itself: the number of worker
//! threads is a setting, and settings are read before any thread starts.

use std::process::ExitCode;

use ch16_deployment::{Settings, app, init_logging, settings};
use kit::{Env, StartError};

// ANCHOR: main
fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Reads every setting (flags, environment, file) and starts the logs in the format they ask
/// for, then starts the runtime with its worker threads and serves until Ctrl-C or SIGTERM.
/// Nothing listens before every setting is known to be right: `app` checks chapter 14's.
fn run(args: &[String]) -> Result<(), StartError> {
    let settings = Settings::read(args, &settings::sources(&Env::process())?)?;
    init_logging(&settings);
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

//! Runs chapter 15: `cargo run -p ch15-background-tasks`, then open http://127.0.0.1:8000/docs.
//!
//! Unlike the earlier chapters, this one does not hand everything to `kit::run`: after the
//! server stops, the worker's running jobs still have to finish, so `serve` (in the library)
//! owns the whole stop sequence. The rest is what `kit::run` does.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    let listen = kit::Listen::from_command_line();
    let env = kit::Env::process();
    kit::serve::init_logging(&env);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(ch15_background_tasks::serve(&listen, &env)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
// ANCHOR_END: main

//! Runs chapter 14: `cargo run -p ch14-bigger-application`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
use ch14_bigger_application::{Config, app, config};

fn main() -> std::process::ExitCode {
    config::init_logging(&kit::Env::process());
    kit::run(async |env| {
        let config = Config::from_env(&env)?;
        app(&config).await
    })
}
// ANCHOR_END: main

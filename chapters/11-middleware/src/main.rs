//! Runs chapter 11: `cargo run -p ch11-middleware`, then open http://localhost:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        let config = ch11_middleware::Config::from_env(&env)?;
        Ok(ch11_middleware::app(&docs, &config))
    })
}
// ANCHOR_END: main

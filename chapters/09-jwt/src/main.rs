//! Runs chapter 09: `cargo run -p ch09-jwt`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        let config = ch09_jwt::Config::from_env(&env)?;
        Ok(ch09_jwt::app(&docs, &config))
    })
}
// ANCHOR_END: main

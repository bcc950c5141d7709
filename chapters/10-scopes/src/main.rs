//! Runs chapter 10: `cargo run -p ch10-scopes`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        let config = ch10_scopes::Config::from_env(&env)?;
        Ok(ch10_scopes::app(&docs, &config))
    })
}
// ANCHOR_END: main

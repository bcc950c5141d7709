//! Runs chapter 05: `cargo run -p ch05-response-models`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch05_response_models::app(&docs))
    })
}
// ANCHOR_END: main

//! Runs chapter 04: `cargo run -p ch04-request-body`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch04_request_body::app(&docs))
    })
}
// ANCHOR_END: main

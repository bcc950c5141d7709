//! Runs chapter 07: `cargo run -p ch07-security-first-steps`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch07_security_first_steps::app(&docs))
    })
}
// ANCHOR_END: main

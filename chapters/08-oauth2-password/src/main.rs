//! Runs chapter 08: `cargo run -p ch08-oauth2-password`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch08_oauth2_password::app(&docs))
    })
}
// ANCHOR_END: main

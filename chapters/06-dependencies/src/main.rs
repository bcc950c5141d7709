//! Runs chapter 06: `cargo run -p ch06-dependencies`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch06_dependencies::app(&docs))
    })
}
// ANCHOR_END: main

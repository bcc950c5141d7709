//! Runs chapter 01: `cargo run -p ch01-hello-world`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch01_hello_world::app(&docs))
    })
}
// ANCHOR_END: main

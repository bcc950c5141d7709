//! Runs chapter 02: `cargo run -p ch02-path-parameters`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch02_path_parameters::app(&docs))
    })
}
// ANCHOR_END: main

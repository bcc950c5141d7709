//! Runs chapter 03: `cargo run -p ch03-query-parameters`, then open http://127.0.0.1:8000/docs.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch03_query_parameters::app(&docs))
    })
}
// ANCHOR_END: main

//! Runs chapter 15: `cargo run -p ch15-background-tasks`, then open http://127.0.0.1:8000/docs.

fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch15_background_tasks::app(&docs))
    })
}

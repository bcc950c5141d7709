//! Runs chapter 13: `cargo run -p ch13-migrations`, then open http://127.0.0.1:8000/docs.

fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch13_migrations::app(&docs))
    })
}

//! Runs chapter 11: `cargo run -p ch11-middleware`, then open http://127.0.0.1:8000/docs.

fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch11_middleware::app(&docs))
    })
}

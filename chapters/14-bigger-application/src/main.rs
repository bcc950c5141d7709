//! Runs chapter 14: `cargo run -p ch14-bigger-application`, then open http://127.0.0.1:8000/docs.

fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch14_bigger_application::app(&docs))
    })
}

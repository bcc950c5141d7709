//! Runs chapter 12: `cargo run -p ch12-sql-database`, then open http://127.0.0.1:8000/docs.

fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        Ok(ch12_sql_database::app(&docs))
    })
}

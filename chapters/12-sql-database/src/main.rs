//! Runs chapter 12: `cargo run -p ch12-sql-database`, then open http://127.0.0.1:8000/docs.
//! `DATABASE_URL` chooses the database (default `sqlite://sql_app.db` in the data folder,
//! `target/data/ch12-sql-database/` under cargo: see `kit::data_dir`).

// ANCHOR: main
fn main() -> std::process::ExitCode {
    kit::run(async |env| {
        let docs = kit::Docs::from_env(&env)?;
        let config = ch12_sql_database::Config::from_env(&env)?;
        let database = ch12_sql_database::Database::connect(&config).await?;
        Ok(ch12_sql_database::app(&docs, &config, database))
    })
}
// ANCHOR_END: main

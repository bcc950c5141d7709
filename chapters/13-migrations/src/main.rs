//! Runs chapter 13: `cargo run -p ch13-migrations` serves (a new database gets its tables), and
//! `cargo run -p ch13-migrations -- migrate status` (or `up`, `down`, `history`) migrates.

// ANCHOR: main
fn main() -> std::process::ExitCode {
    ch13_migrations::cli::main()
}
// ANCHOR_END: main

//! `sqlx::migrate!` copies the migration files into the program when it compiles; this tells
//! cargo to compile again when one of them changes, or a new one appears.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

//! Rebuilds the crate when a migration is added: `embed_migrations!` reads the folder at
//! compile time, and cargo does not watch a folder it was not told of.
fn main() {
    println!("cargo:rerun-if-changed=../../migrations");
}

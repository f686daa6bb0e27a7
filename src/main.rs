//! The `flarelink` binary. Everything lives in the `flarelink-cli` crate.

fn main() -> std::process::ExitCode {
    flarelink_cli::main()
}

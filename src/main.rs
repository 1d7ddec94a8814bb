//! The `opsdeck` binary: everything is in the library; see `cli`.

fn main() -> std::process::ExitCode {
    opsdeck::cli::main()
}

fn main() -> std::process::ExitCode {
    tableform::cli::main()
}

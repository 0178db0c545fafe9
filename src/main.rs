fn main() {
    std::process::exit(cortexsim::cli::main_with(std::env::args().collect()));
}

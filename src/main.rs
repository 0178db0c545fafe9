//! The `cortexsim` command line: parses arguments, calls the library's protocols, prints.
mod cli;

fn main() {
    std::process::exit(cli::main_with(std::env::args().collect()));
}

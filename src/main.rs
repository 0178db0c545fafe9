//! The `cortexsim` command line: parses arguments, calls the library's protocols, prints.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output is gone (a closed pipe) or failing: nothing more is printed.
static STDOUT_GONE: AtomicBool = AtomicBool::new(false);

/// Write to standard output. A closed pipe (`cortexsim inspect brunel2000 | head -1`) is
/// not an error: the rest of the printing is skipped, and the command still finishes its
/// work — output files are complete before anything is printed — and exits with its usual
/// code, instead of panicking as std's `println!` does.
fn print_stdout(args: std::fmt::Arguments) {
    if STDOUT_GONE.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        STDOUT_GONE.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("warning: cannot write to standard output: {e}");
        }
    }
}

// `println!` and `print!` in this binary are these (they shadow std's for every module
// below): [`print_stdout`].
macro_rules! println {
    () => {
        $crate::print_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::print_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

macro_rules! print {
    ($($arg:tt)*) => {
        $crate::print_stdout(format_args!($($arg)*))
    };
}

mod cli;

fn main() {
    std::process::exit(cli::main_with(std::env::args().collect()));
}

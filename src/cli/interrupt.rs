//! SIGINT and SIGTERM during `cortexsim run`. The first sets a flag that the simulation
//! checks at every slice boundary: the run stops with every population at the same time,
//! writes rates and summary, marks its file `status = "interrupted"`, puts it in place and
//! exits with [`super::EXIT_INTERRUPTED`]. A second signal ends the process at once
//! (exit 130 for SIGINT, 143 for SIGTERM): the destination is then untouched and the
//! partial file (`<stem>.partial-<pid>.h5`, status `incomplete`) stays beside it.
//!
//! The handlers are installed only once the outputs are claimed and the network is built;
//! before that a signal ends the process as usual (nothing has been written but the lock
//! file, which the next run takes over).

use super::Failure;
use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// Install the handlers; the returned flag turns true on the first signal.
pub fn install() -> Result<Arc<AtomicBool>, Failure> {
    let flag = Arc::new(AtomicBool::new(false));
    for (sig, code) in [(SIGINT, 130), (SIGTERM, 143)] {
        // The shutdown goes first: it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(sig, code, Arc::clone(&flag))
            .and_then(|_| signal_hook::flag::register(sig, Arc::clone(&flag)))
            .map_err(|e| Failure::runtime(format!("cannot install the signal handlers: {e}")))?;
    }
    Ok(flag)
}

//! The exchange seam: the one place where the spikes of a slice, produced by the
//! partitions, become the list every partition delivers from.
//!
//! ```text
//!  partitions (this process)            Exchange                 delivery (every partition)
//!  update → SpikeBuf per partition ──► exchange(ids, bufs, out) ──► SliceSpikes, (step, gid) order
//! ```
//!
//! Partitions are named by their index in the network's layout ([`crate::layout`]),
//! which depends only on the network — never on how many processes share the work. A
//! multi-process implementation (MPI, issue 10) gathers the other processes' buffers
//! keyed by those ids and merges them by (step, partition id) — partitions are in gid
//! order, so that is (step, gid) order — into the same [`SliceSpikes`]; delivery does not
//! change.

use crate::partition::{SliceSpikes, SpikeBuf};

/// Turns the spikes of one slice, produced by this process's partitions, into the
/// slice's spike list of all partitions (in (step, gid) order, with payloads where a
/// model has them).
pub trait Exchange: Send {
    /// `local[k]` holds the spikes of partition `ids[k]` (ids ascending; indices into the
    /// network's layout). Every `SpikeBuf` covers the same steps. `out` is overwritten.
    fn exchange(&mut self, ids: &[usize], local: &[SpikeBuf], out: &mut SliceSpikes);
}

/// One process holds every partition: the exchange is a concatenation
/// ([`SliceSpikes::fill`]).
#[derive(Debug, Clone, Copy)]
pub struct SingleProcess {
    /// Partitions in the layout (all of them local).
    pub partitions: usize,
}

impl Exchange for SingleProcess {
    fn exchange(&mut self, ids: &[usize], local: &[SpikeBuf], out: &mut SliceSpikes) {
        debug_assert_eq!(local.len(), self.partitions);
        debug_assert!(ids.iter().copied().eq(0..self.partitions));
        out.fill(local);
    }
}

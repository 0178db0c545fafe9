//! Output files: SONATA HDF5 spikes with population rates and sampled potentials;
//! Matrix Market connectivity; `output`, how every output file is claimed, written
//! under a temporary name and put in place; `checkpoint`, the checkpoint file container.
pub mod checkpoint;
pub mod mtx;
pub mod output;
pub mod sonata;

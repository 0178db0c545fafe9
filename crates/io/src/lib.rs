//! Output files: SONATA HDF5 spikes with population rates and sampled potentials;
//! Matrix Market connectivity.
pub mod mtx;
pub mod sonata;

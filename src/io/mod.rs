//! Output files: SONATA HDF5 spikes with population rates and sampled potentials.
pub mod sonata;

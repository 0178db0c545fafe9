//! Rate-network integrator.

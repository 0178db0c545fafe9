//! Data-driven model generators.

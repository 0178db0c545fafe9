//! Mean-field theory of LIF networks.

//! Demo shop generator (being written).

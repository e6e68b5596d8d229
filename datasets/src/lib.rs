//! # sextant-datasets
//! (in progress)

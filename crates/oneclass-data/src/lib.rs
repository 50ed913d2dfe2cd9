//! oneclass-data

//! oneclass-metrics

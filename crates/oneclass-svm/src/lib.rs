//! oneclass-svm

//! Data for oneclass: table readers and writers (.npy, .npz, .csv, MATLAB v5 .mat),
//! image datasets, MNIST-C corruptions, alteration anomalies and the seeds' protocols.

pub mod atomic;
pub mod csv;
pub mod error;
pub mod mat;
pub mod npy;
pub mod npz;
pub mod table;

pub use atomic::write_atomic;
pub use csv::{read_csv, CsvOptions, CsvTable, HeaderMode};
pub use error::DataError;
pub use mat::{read_mat, read_mat_array, read_mat_contents, MatContents};
pub use npy::{read_npy, read_npy_from, write_npy, write_npy_to, DType, NpyArray, NpyData};
pub use npz::{npz_names, read_npz, read_npz_array, write_npz};
pub use table::{
    read_labels, read_table, read_table_with_labels, write_scores, LabelRule, Table,
    TableOptions,
};

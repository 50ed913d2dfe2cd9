//! Data for oneclass: table readers and writers (.npy, .npz, .csv, MATLAB v5 .mat),
//! image datasets, MNIST-C corruptions, alteration anomalies and the seeds' protocols.

pub mod alteration;
pub mod atomic;
pub mod csv;
pub mod error;
pub mod images;
pub mod mat;
pub mod mnist_c;
pub mod npy;
pub mod npz;
pub mod preprocess;
pub mod protocols;
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
pub use images::ImageSet;

"""Reference values for oneclass-data's tabular preprocessing (Deep SAD: StandardScaler then
MinMaxScaler, both fitted on the training rows), from scikit-learn.

Usage: /work/pyref/bin/python scripts/preprocess_reference.py
Writes crates/oneclass-data/tests/fixtures/preprocess_standard_minmax.json
"""
import json
import os

import numpy as np
import sklearn
from sklearn.preprocessing import MinMaxScaler, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "oneclass-data", "tests", "fixtures", "preprocess_standard_minmax.json")

rng = np.random.default_rng(20240601)
train = rng.normal(size=(30, 4)) * [1.0, 10.0, 0.1, 1.0] + [0.0, 5.0, -3.0, 0.0]
train[:, 3] = 2.5  # a constant feature: both scalers use scale 1
test = rng.normal(size=(7, 4)) * 3.0

standard = StandardScaler().fit(train)
minmax = MinMaxScaler().fit(standard.transform(train))
fixture = {
    "generator": "scripts/preprocess_reference.py",
    "sklearn_version": sklearn.__version__,
    "train": train.tolist(),
    "test": test.tolist(),
    "train_scaled": minmax.transform(standard.transform(train)).tolist(),
    "test_scaled": minmax.transform(standard.transform(test)).tolist(),
}
with open(OUT, "w") as f:
    json.dump(fixture, f, indent=1)
print("wrote", OUT)

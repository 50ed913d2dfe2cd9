"""Reference values for the MNIST-C canny_edges corruption (oneclass-data tests).

Runs scikit-image's Canny (sigma 1, thresholds 0.1 / 0.2, as MNIST-C) on the first 100
MNIST test images (the test reads them from shared/data/mnist) and on a few synthetic images, and records the gradient magnitude of the
first images as an intermediate check. Modern scikit-image differs from 0.15 only in
implementation details (sqrt instead of hypot, Cython non-maximum suppression), so the Rust
test compares whole edge maps and magnitudes to a stated tolerance.

Usage: /work/pyref/bin/python scripts/mnist_c_canny_reference.py
Writes crates/oneclass-data/tests/fixtures/mnist_c_canny.json
"""
import gzip
import json
import os

import numpy as np
import scipy.ndimage as ndi
import skimage
from skimage.feature import canny

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MNIST = os.path.join(ROOT, "..", "shared", "data", "mnist", "t10k-images-idx3-ubyte.gz")
OUT = os.path.join(ROOT, "crates", "oneclass-data", "tests", "fixtures", "mnist_c_canny.json")

with gzip.open(MNIST, "rb") as f:
    raw = f.read()
images = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:100]

# Synthetic 28x28 images: a filled square, a diagonal bar, a ring, a single bright pixel.
yy, xx = np.mgrid[0:28, 0:28]
synthetic = [
    ((yy >= 8) & (yy < 20) & (xx >= 8) & (xx < 20)).astype(np.uint8) * 255,
    (np.abs(yy - xx) <= 2).astype(np.uint8) * 200,
    ((np.hypot(yy - 13.5, xx - 13.5) > 5) & (np.hypot(yy - 13.5, xx - 13.5) < 9)).astype(np.uint8) * 255,
    ((yy == 14) & (xx == 14)).astype(np.uint8) * 255,
]
all_images = list(images) + synthetic


def magnitude(x):
    """Gradient magnitude as in skimage 0.15: masked Gaussian smoothing, Sobel, hypot."""
    ones = np.ones_like(x)
    bleed = ndi.gaussian_filter(ones, 1.0, mode="constant")
    smoothed = ndi.gaussian_filter(x, 1.0, mode="constant") / (bleed + np.finfo(float).eps)
    return np.hypot(ndi.sobel(smoothed, axis=0), ndi.sobel(smoothed, axis=1))


fixture = {
    "generator": "scripts/mnist_c_canny_reference.py",
    "skimage_version": skimage.__version__,
    "scipy_version": __import__("scipy").__version__,
    "mnist_test_images": len(images),
    "synthetic_images": [img.ravel().tobytes().hex() for img in synthetic],
    "edges": ["".join(map(str, canny(img / 255.0).astype(int).ravel())) for img in all_images],
    "magnitude": [magnitude(img / 255.0).ravel().tolist() for img in all_images[:3]],
}
with open(OUT, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print("wrote", OUT, len(all_images), "images")

//! Separable filters shared by the corruptions, following SciPy's `ndimage` conventions
//! (kernel radius, border modes, order of the separable passes) so results match the reference.

/// How a 1-D filter reads outside the image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Border {
    /// Repeat the edge pixel (SciPy "nearest").
    Nearest,
    /// Mirror including the edge pixel, `d c b a | a b c d` (SciPy "reflect").
    Reflect,
    /// Zeros outside (SciPy "constant" with cval 0).
    Zero,
}

/// Index of `i` in a line of length `n` under `border`; `None` means "outside, value 0".
fn border_index(i: isize, n: usize, border: Border) -> Option<usize> {
    let n_i = n as isize;
    if (0..n_i).contains(&i) {
        return Some(i as usize);
    }
    match border {
        Border::Zero => None,
        Border::Nearest => Some(i.clamp(0, n_i - 1) as usize),
        Border::Reflect => {
            // Period 2n: positions n..2n-1 mirror back onto n-1..0.
            let period = 2 * n_i;
            let m = i.rem_euclid(period);
            Some(if m < n_i { m } else { period - 1 - m } as usize)
        }
    }
}

/// Normalised Gaussian taps k = −R..R with R = int(4σ + 0.5) (SciPy's default truncation).
pub fn gaussian_kernel(sigma: f64) -> Vec<f64> {
    let radius = (4.0 * sigma + 0.5) as i64;
    let taps: Vec<f64> = (-radius..=radius)
        .map(|k| (-0.5 / (sigma * sigma) * (k * k) as f64).exp())
        .collect();
    let sum: f64 = taps.iter().sum();
    taps.iter().map(|t| t / sum).collect()
}

/// Correlates an `h`×`w` row-major image with a symmetric odd-length `kernel` along `axis`
/// (0 = down the rows, 1 = along each row). Pairs of taps are summed outermost first, as
/// SciPy does for symmetric kernels.
pub fn correlate_symmetric(
    data: &[f64],
    h: usize,
    w: usize,
    axis: usize,
    kernel: &[f64],
    border: Border,
) -> Vec<f64> {
    debug_assert_eq!(data.len(), h * w);
    let radius = (kernel.len() / 2) as isize;
    let centre = kernel[radius as usize];
    let (len, stride, lines, line_stride) = if axis == 0 { (h, w, w, 1) } else { (w, 1, h, w) };
    let mut out = vec![0.0; h * w];
    for line in 0..lines {
        let base = line * line_stride;
        let at = |i: isize| -> f64 {
            border_index(i, len, border).map_or(0.0, |j| data[base + j * stride])
        };
        for i in 0..len as isize {
            let mut acc = at(i) * centre;
            for j in (1..=radius).rev() {
                acc += (at(i - j) + at(i + j)) * kernel[(radius + j) as usize];
            }
            out[base + i as usize * stride] = acc;
        }
    }
    out
}

/// 2-D Gaussian: axis 0 then axis 1, as `scipy.ndimage.gaussian_filter`.
pub fn gaussian_2d(data: &[f64], h: usize, w: usize, sigma: f64, border: Border) -> Vec<f64> {
    let kernel = gaussian_kernel(sigma);
    let rows = correlate_symmetric(data, h, w, 0, &kernel, border);
    correlate_symmetric(&rows, h, w, 1, &kernel, border)
}

/// Unnormalised Sobel derivative along `axis` ([−1, 0, 1] along it, [1, 2, 1] across),
/// reflect borders, as `scipy.ndimage.sobel`.
pub fn sobel(data: &[f64], h: usize, w: usize, axis: usize) -> Vec<f64> {
    let (len, stride, lines, line_stride) = if axis == 0 { (h, w, w, 1) } else { (w, 1, h, w) };
    let mut diff = vec![0.0; h * w];
    for line in 0..lines {
        let base = line * line_stride;
        let at = |i: isize| data[base + border_index(i, len, Border::Reflect).unwrap() * stride];
        for i in 0..len as isize {
            diff[base + i as usize * stride] = at(i + 1) - at(i - 1);
        }
    }
    correlate_symmetric(&diff, h, w, 1 - axis, &[1.0, 2.0, 1.0], Border::Reflect)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_and_nearest_indices() {
        assert_eq!(border_index(-1, 4, Border::Reflect), Some(0));
        assert_eq!(border_index(-2, 4, Border::Reflect), Some(1));
        assert_eq!(border_index(4, 4, Border::Reflect), Some(3));
        assert_eq!(border_index(5, 4, Border::Reflect), Some(2));
        assert_eq!(border_index(-3, 4, Border::Nearest), Some(0));
        assert_eq!(border_index(7, 4, Border::Nearest), Some(3));
        assert_eq!(border_index(-1, 4, Border::Zero), None);
    }

    #[test]
    fn gaussian_kernel_radius_and_sum() {
        assert_eq!(gaussian_kernel(1.0).len(), 9);
        assert_eq!(gaussian_kernel(0.7).len(), 7);
        assert_eq!(gaussian_kernel(1.5).len(), 13);
        assert!((gaussian_kernel(1.0).iter().sum::<f64>() - 1.0).abs() < 1e-15);
    }

    #[test]
    fn sobel_of_a_ramp() {
        // f(r, c) = c on a 3x4 image: interior d/dc = 2 * (1 + 2 + 1) = 8 (central difference
        // spans 2 columns); d/dr = 0 everywhere.
        let data: Vec<f64> = (0..12).map(|i| (i % 4) as f64).collect();
        let gj = sobel(&data, 3, 4, 1);
        let gi = sobel(&data, 3, 4, 0);
        assert_eq!(gj[5], 8.0);
        assert_eq!(gj[4], 4.0); // reflect: f(-1) = f(0)
        assert!(gi.iter().all(|&v| v == 0.0));
    }
}

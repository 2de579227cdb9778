"""Fits the polynomial of the SIMD kernel's exp2m1 (assembly/exp.ts).

2^f - 1 = expm1(f * ln2) = f * ln2 + f^2 * Q(f) on |f| <= 1/2, Q of degree 4, minimising the largest
*relative* error (Lawson's iteratively reweighted least squares, which converges to the minimax fit).
Prints the float32 coefficients and the error, in exact arithmetic and evaluated in float32 by
Horner's rule as the kernel does. Run: /usr/bin/python3 packages/backend-tfjs/scripts/fit-expm1.py
(needs numpy).
"""
import numpy as np

DEGREE = 4
LN2_F32 = np.float64(np.float32(np.log(2)))
f = np.cos(np.linspace(0, np.pi, 4001)) * 0.5
f = f[np.abs(f) > 1e-6]
exact = np.expm1(f * np.log(2))
target = (exact - f * LN2_F32) / f**2
# An error e in Q is an error e * f^2 / (2^f - 1) relative to the result.
weight = np.abs(f**2 / exact)
basis = np.vander(f, DEGREE + 1, increasing=True)
lawson = np.ones_like(f)
for _ in range(200):
    w = weight * np.sqrt(lawson)
    coefficients, *_ = np.linalg.lstsq(basis * w[:, None], target * w, rcond=None)
    error = np.abs((basis @ coefficients - target) * weight)
    lawson = lawson * error
    lawson /= lawson.sum()

grid = np.linspace(-0.5, 0.5, 200001)
grid = grid[grid != 0]
exact = np.expm1(grid * np.log(2))
approx = grid * LN2_F32 + grid**2 * np.polyval(coefficients[::-1], grid)
print('ln2 (float32):', float(np.float32(np.log(2))))
print('coefficients c0..c4 (float32):', [float(np.float32(c)) for c in coefficients])
print('max relative error, exact arithmetic:', np.max(np.abs(approx - exact) / np.abs(exact)))

g32 = grid.astype(np.float32)
c32 = coefficients.astype(np.float32)
poly = c32[-1]
for c in c32[-2::-1]:
    poly = (poly * g32 + c).astype(np.float32)
approx32 = ((g32 * np.float32(LN2_F32)).astype(np.float32) + ((g32 * g32).astype(np.float32) * poly).astype(np.float32)).astype(np.float32)
exact32 = np.expm1(g32.astype(np.float64) * np.log(2))
print('max relative error in float32, ulps:', np.max(np.abs(approx32.astype(np.float64) - exact32) / np.abs(exact32)) / 2**-24)

"""Interpolation of satellite states between sgp4 nodes (numba)."""

from numba import njit


@njit(cache=True, nogil=True)
def hermite_states(pos_n, vel_n, valid_n, node, frac, h, pos, vel, valid):  # pragma: no cover - numba
    """Cubic Hermite positions and velocities at fractions ``frac`` of the node
    intervals starting at indices ``node`` (nodes ``h`` s apart): fills ``pos``,
    ``vel`` (nsat, nk, 3) and ``valid`` (nsat, nk) in place."""
    nsat = pos.shape[0]
    nk = pos.shape[1]
    for k in range(nk):
        a = node[k]
        s = frac[k]
        s2 = s * s
        s3 = s2 * s
        h00 = 2.0 * s3 - 3.0 * s2 + 1.0
        h10 = (s3 - 2.0 * s2 + s) * h
        h01 = -2.0 * s3 + 3.0 * s2
        h11 = (s3 - s2) * h
        d00 = (6.0 * s2 - 6.0 * s) / h
        d10 = 3.0 * s2 - 4.0 * s + 1.0
        d01 = (-6.0 * s2 + 6.0 * s) / h
        d11 = 3.0 * s2 - 2.0 * s
        for i in range(nsat):
            valid[i, k] = valid_n[i, a] and valid_n[i, a + 1]
            for c in range(3):
                p0 = pos_n[i, a, c]
                p1 = pos_n[i, a + 1, c]
                v0 = vel_n[i, a, c]
                v1 = vel_n[i, a + 1, c]
                pos[i, k, c] = h00 * p0 + h10 * v0 + h01 * p1 + h11 * v1
                vel[i, k, c] = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1

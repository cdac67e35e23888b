package dev.quadrant.device.cuda;

/**
 * How a row-major {@code C[m,n] = op(A)[m,k] op(B)[k,n]} maps onto column-major cuBLAS: a row-major matrix is the
 * column-major view of its transpose, so cuBLAS computes {@code C^T[n,m] = op(B)^T op(A)^T} with B as its first
 * operand and A as its second, the transpose flags passed through unchanged, and every leading dimension the row
 * length of the stored (row-major) tensor. A pure function, unit-tested against a column-major GEMM. Immutable.
 *
 * @param transFirst  cuBLAS {@code transa} (applied to B)
 * @param transSecond cuBLAS {@code transb} (applied to A)
 * @param rows        cuBLAS {@code m} (= n of the row-major product)
 * @param cols        cuBLAS {@code n} (= m of the row-major product)
 * @param inner       cuBLAS {@code k}
 * @param ldFirst     leading dimension of B as stored
 * @param ldSecond    leading dimension of A as stored
 * @param ldc         leading dimension of C as stored
 */
record GemmPlan(boolean transFirst, boolean transSecond, int rows, int cols, int inner, int ldFirst, int ldSecond,
                int ldc) {

    /** The plan for row-major {@code a [aRows, aCols]}, {@code b [bRows, bCols]}. */
    static GemmPlan rowMajor(boolean transA, boolean transB, int aRows, int aCols, int bRows, int bCols) {
        int m = transA ? aCols : aRows;
        int k = transA ? aRows : aCols;
        int n = transB ? bRows : bCols;
        return new GemmPlan(transB, transA, n, m, k, Math.max(1, bCols), Math.max(1, aCols), Math.max(1, n));
    }
}

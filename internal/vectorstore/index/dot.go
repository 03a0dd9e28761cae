package index

// The scoring kernels. Every score in the package is the dot product summed in
// index order into a single float32 accumulator: dot and dot4 compute exactly
// the same value for a row, so a vector scores the same whichever path (exact,
// IVF, per character, four rows at a time or one) reaches it, and exact and
// approximate results can be compared item for item.
//
// dot4 is the workhorse: it reads each query element once for four rows and
// keeps four independent accumulators, which roughly doubles throughput over a
// single-row loop in plain Go (no assembly) and gives the memory system four
// rows to fetch at once when the rows are scattered.

// dot returns the dot product of a and b; len(b) must be at least len(a).
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

// Dot is the cosine similarity of two unit vectors, computed as every score of the index
// is, for callers outside it that compare stored vectors.
func Dot(a, b []float32) float32 { return dot(a, b) }

// dot4 returns the dot products of q with four rows, each at least len(q) long.
func dot4(q, r0, r1, r2, r3 []float32) (s0, s1, s2, s3 float32) {
	n := len(q)
	r0, r1, r2, r3 = r0[:n], r1[:n], r2[:n], r3[:n]
	for i, x := range q {
		s0 += x * r0[i]
		s1 += x * r1[i]
		s2 += x * r2[i]
		s3 += x * r3[i]
	}
	return s0, s1, s2, s3
}

package retrieval

// The dot products of the vector scan. Each takes a query and a block of
// rows of the same length laid end to end, and writes one product per row:
// one call per block rather than per row, so that the assembly versions
// (vecdot_amd64.s) spend their time on arithmetic.

// dotRows sets out[r] to q · rows[r*len(q):(r+1)*len(q)] for each r.
func dotRows(q, rows, out []float32) {
	if dotRowsF32Asm(q, rows, out) {
		return
	}
	d := len(q)
	for r := range out {
		out[r] = dot4(q, rows[r*d:(r+1)*d])
	}
}

// dotRowsU8 sets out[r] to Σ rows[r*len(q)+i] × q[i] for each r: rows of
// unsigned bytes against a query of signed ones, which must lie in
// [-64, 64] (the AVX2 version adds pairs of products in 16 bits).
func dotRowsU8(q []int8, rows []uint8, out []int32) {
	if dotRowsU8Asm(q, rows, out) {
		return
	}
	d := len(q)
	for r := range out {
		out[r] = dotU8(q, rows[r*d:(r+1)*d])
	}
}

// dotU8 is the portable dotRowsU8 for one row.
func dotU8(q []int8, row []uint8) int32 {
	row = row[:len(q)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+3 < len(q); i += 4 {
		s0 += int32(row[i]) * int32(q[i])
		s1 += int32(row[i+1]) * int32(q[i+1])
		s2 += int32(row[i+2]) * int32(q[i+2])
		s3 += int32(row[i+3]) * int32(q[i+3])
	}
	for ; i < len(q); i++ {
		s0 += int32(row[i]) * int32(q[i])
	}
	return s0 + s1 + s2 + s3
}

// dot4 is a dot product unrolled four ways, so that the four sums can run
// in parallel in the CPU.
func dot4(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+3 < len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

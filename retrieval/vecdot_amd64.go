package retrieval

import "golang.org/x/sys/cpu"

// The scan kernels use AVX2 and FMA when the processor has them (x86-64
// processors since 2013–2015); vecdot.go has the portable versions, which
// give the same results (the integer ones exactly, the float ones up to
// rounding).
var hasAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotRowsF32AVX2(q, rows *float32, dim, n int, out *float32)

//go:noescape
func dotRowsU8AVX2(q *int8, rows *uint8, dim, n int, out *int32)

func dotRowsF32Asm(q, rows, out []float32) bool {
	if !hasAVX2 || len(q)%32 != 0 || len(q) == 0 || len(out) == 0 {
		return false
	}
	_ = rows[len(out)*len(q)-1]
	dotRowsF32AVX2(&q[0], &rows[0], len(q), len(out), &out[0])
	return true
}

func dotRowsU8Asm(q []int8, rows []uint8, out []int32) bool {
	if !hasAVX2 || len(q)%32 != 0 || len(q) == 0 || len(out) == 0 {
		return false
	}
	_ = rows[len(out)*len(q)-1]
	dotRowsU8AVX2(&q[0], &rows[0], len(q), len(out), &out[0])
	return true
}

//go:build !amd64

package retrieval

const hasAVX2 = false

func dotRowsF32Asm(q, rows, out []float32) bool { return false }

func dotRowsU8Asm(q []int8, rows []uint8, out []int32) bool { return false }

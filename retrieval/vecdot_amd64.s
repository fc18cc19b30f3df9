#include "textflag.h"

// func dotRowsF32AVX2(q, rows *float32, dim, n int, out *float32)
//
// out[r] = q · rows[r*dim:(r+1)*dim] for r < n; dim is a multiple of 32.
// Four 8-lane accumulators keep four fused multiply-adds in flight.
TEXT ·dotRowsF32AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ dim+16(FP), CX
	MOVQ n+24(FP), DX
	MOVQ out+32(FP), R8
	SHLQ $2, CX // row length in bytes

f32row:
	TESTQ DX, DX
	JZ f32done
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	XORQ AX, AX

f32loop:
	VMOVUPS (DI)(AX*1), Y4
	VMOVUPS 32(DI)(AX*1), Y5
	VMOVUPS 64(DI)(AX*1), Y6
	VMOVUPS 96(DI)(AX*1), Y7
	VFMADD231PS (SI)(AX*1), Y4, Y0
	VFMADD231PS 32(SI)(AX*1), Y5, Y1
	VFMADD231PS 64(SI)(AX*1), Y6, Y2
	VFMADD231PS 96(SI)(AX*1), Y7, Y3
	ADDQ $128, AX
	CMPQ AX, CX
	JB f32loop

	VADDPS Y1, Y0, Y0
	VADDPS Y3, Y2, Y2
	VADDPS Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS X1, X0, X0
	VHADDPS X0, X0, X0
	VHADDPS X0, X0, X0
	VMOVSS X0, (R8)
	ADDQ $4, R8
	ADDQ CX, DI
	DECQ DX
	JMP f32row

f32done:
	VZEROUPPER
	RET

// func dotRowsU8AVX2(q *int8, rows *uint8, dim, n int, out *int32)
//
// out[r] = Σ rows[r*dim+i] × q[i] for r < n, rows unsigned and q signed
// bytes; dim is a multiple of 32. VPMADDUBSW multiplies byte pairs and adds
// them into int16 lanes, which saturate unless |q[i]| <= 64; VPMADDWD by
// ones widens them to int32.
TEXT ·dotRowsU8AVX2(SB), NOSPLIT, $0-40
	MOVQ q+0(FP), SI
	MOVQ rows+8(FP), DI
	MOVQ dim+16(FP), CX
	MOVQ n+24(FP), DX
	MOVQ out+32(FP), R8
	VPCMPEQW Y15, Y15, Y15
	VPSRLW $15, Y15, Y15 // sixteen int16 ones

u8row:
	TESTQ DX, DX
	JZ u8done
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	XORQ AX, AX
	CMPQ CX, $64
	JB u8tail

u8loop:
	VMOVDQU (DI)(AX*1), Y4
	VMOVDQU 32(DI)(AX*1), Y5
	VPMADDUBSW (SI)(AX*1), Y4, Y4
	VPMADDUBSW 32(SI)(AX*1), Y5, Y5
	VPMADDWD Y15, Y4, Y4
	VPMADDWD Y15, Y5, Y5
	VPADDD Y4, Y0, Y0
	VPADDD Y5, Y1, Y1
	ADDQ $64, AX
	LEAQ 64(AX), BX
	CMPQ BX, CX
	JBE u8loop

u8tail:
	CMPQ AX, CX
	JAE u8sum
	VMOVDQU (DI)(AX*1), Y4
	VPMADDUBSW (SI)(AX*1), Y4, Y4
	VPMADDWD Y15, Y4, Y4
	VPADDD Y4, Y0, Y0
	ADDQ $32, AX
	JMP u8tail

u8sum:
	VPADDD Y1, Y0, Y0
	VEXTRACTI128 $1, Y0, X1
	VPADDD X1, X0, X0
	VPHADDD X0, X0, X0
	VPHADDD X0, X0, X0
	VMOVD X0, (R8)
	ADDQ $4, R8
	ADDQ CX, DI
	DECQ DX
	JMP u8row

u8done:
	VZEROUPPER
	RET

//go:build !race

package main

// raceFactor scales timing bounds under the race detector (see
// race_test.go); 1 without it.
const raceFactor = 1

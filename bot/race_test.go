//go:build race

package main

// raceFactor scales timing bounds under the race detector, which makes
// code several times slower.
const raceFactor = 5

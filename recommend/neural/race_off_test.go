//go:build !race

package neural

const raceEnabled = false

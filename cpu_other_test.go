//go:build !unix

package franceconnect

import "time"

// ProcessCPU is not measured on this system: the benchmarks report
// cpu-ns/op as 0 and wall time only.
func ProcessCPU() time.Duration { return 0 }

package franceconnect

import "testing"

// BenchCPU starts counting the process's CPU time; the function it returns
// reports it per operation of a b.Loop benchmark as cpu-ns/op.
func BenchCPU(b *testing.B) func() {
	t0 := ProcessCPU()
	return func() {
		b.ReportMetric(float64((ProcessCPU()-t0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

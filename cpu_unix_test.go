//go:build unix

package franceconnect

import (
	"syscall"
	"time"
)

// ProcessCPU is the CPU time (user and system, all threads) of the whole
// process, for the benchmarks: on a shared machine it is steadier than wall
// time, which includes the time other processes held the cores.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package fctest

import "time"

// Advance moves the server's clock forward by d, for expiry tests.
func (s *Server) Advance(d time.Duration) { s.skew.Add(int64(d)) }

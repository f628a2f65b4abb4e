package franceconnect

import (
	"fmt"
	"strconv"
	"time"
)

// Birthdate is a date of birth whose month or day may be unknown (the civil
// registry records some people as born "00/00/1950"). A zero Month or Day
// means unknown.
type Birthdate struct {
	Year  int        // four digits
	Month time.Month // 0 when unknown
	Day   int        // 0 when unknown
}

// ParseBirthdate reads YYYY-MM-DD, where MM and DD may be 00 (unknown).
func ParseBirthdate(s string) (Birthdate, error) {
	bad := fmt.Errorf("%w: birthdate is not YYYY-MM-DD", ErrInvalidIdentity)
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return Birthdate{}, bad
	}
	y, err1 := strconv.Atoi(s[:4])
	m, err2 := strconv.Atoi(s[5:7])
	d, err3 := strconv.Atoi(s[8:])
	if err1 != nil || err2 != nil || err3 != nil || !allDigits(s[:4]+s[5:7]+s[8:]) {
		return Birthdate{}, bad
	}
	b := Birthdate{Year: y, Month: time.Month(m), Day: d}
	switch {
	case y < 1800 || m > 12 || d > 31:
		return Birthdate{}, bad
	case m != 0 && d > daysIn(b.Month, y):
		return Birthdate{}, bad
	}
	return b, nil
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Known reports whether month and day are both known.
func (b Birthdate) Known() bool { return b.Month != 0 && b.Day != 0 }

// IsZero reports whether no birthdate was given.
func (b Birthdate) IsZero() bool { return b == Birthdate{} }

// String formats as YYYY-MM-DD with 00 for unknown parts.
func (b Birthdate) String() string {
	if b.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", b.Year, int(b.Month), b.Day)
}

// Time returns the date at midnight UTC, and false when month or day is
// unknown.
func (b Birthdate) Time() (time.Time, bool) {
	if !b.Known() {
		return time.Time{}, false
	}
	return time.Date(b.Year, b.Month, b.Day, 0, 0, 0, 0, time.UTC), true
}

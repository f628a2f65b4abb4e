// Package compact checks the alphabet of JOSE compact serializations.
package compact

// BadByte returns the index of the first byte of s that is neither
// base64url nor a dot, or -1. Go's base64 decoder skips \r and \n and
// go-jose strips white space from a JWE, so without this check one token
// (or sealed cookie) would have many spellings.
func BadByte(s string) int {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return i
		}
	}
	return -1
}

package franceconnect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// This file decodes the claims of signed tokens and userinfo. Claim names
// are case-sensitive (RFC 7519 section 4) but encoding/json matches struct
// fields without regard to case: the exact-name decoders below read only
// members spelled exactly, with a one-pass fast path for the plain payloads
// FranceConnect sends (each fast path fuzzed against its exact decoder).

// tokenClaims is the wire form of the claims we check in ID tokens and
// userinfo JWTs.
type tokenClaims struct {
	Iss      *string     `json:"iss"`
	Sub      string      `json:"sub"`
	Aud      audience    `json:"aud"`
	Azp      string      `json:"azp"`
	Exp      numericDate `json:"exp"`
	Iat      numericDate `json:"iat"`
	AuthTime numericDate `json:"auth_time"`
	Nonce    *string     `json:"nonce"`
	ACR      *string     `json:"acr"`
	AMR      []string    `json:"amr"`
	AtHash   string      `json:"at_hash"`
	IdP      string      `json:"idp"`
}

// audience accepts a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		if s, ok := plainJSONString(b); ok {
			*a = audience{s}
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*a = ss
	return nil
}

// plainJSONString decodes a JSON string without escapes, the usual case,
// without the cost of json.Unmarshal; ok is false for any other value.
func plainJSONString(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// numericDate is a JWT NumericDate (seconds, integer or not).
type numericDate struct {
	t   time.Time
	set bool
}

func (n *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	// A JSON number is what ParseFloat reads (encoding/json calls it
	// too); anything else (string, object...) is refused.
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) || bytes.ContainsFunc(b, notNumberByte) {
		return errors.New("date is not a number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errors.New("date is not a number")
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		return errors.New("date out of range")
	}
	sec, frac := math.Modf(f)
	n.t = time.Unix(int64(sec), int64(frac*1e9))
	n.set = true
	return nil
}

func notNumberByte(r rune) bool {
	return (r < '0' || r > '9') && r != '-' && r != '+' && r != '.' && r != 'e' && r != 'E'
}

// decodeClaims reads the claims we check.
func decodeClaims(payload []byte) (*tokenClaims, error) {
	if ok, _ := plainMembers(payload, tokenClaimFields, nil); ok {
		// Same result as decodeClaimsExact, in one pass.
		var tc tokenClaims
		if json.Unmarshal(payload, &tc) != nil {
			return nil, errClaimTypes
		}
		return &tc, nil
	}
	return decodeClaimsExact(payload)
}

var errClaimTypes = fmt.Errorf("%w: claims are not a JSON object of the expected types", ErrMalformedToken)

// decodeClaimsExact reads the claims we check by their exact names, for
// any payload.
func decodeClaimsExact(payload []byte) (*tokenClaims, error) {
	var obj map[string]json.RawMessage
	var tc tokenClaims
	if json.Unmarshal(payload, &obj) != nil || obj == nil || decodeExact(obj, &tc, tokenClaimNames) != nil {
		return nil, errClaimTypes
	}
	return &tc, nil
}

var (
	tokenClaimNames  = jsonNames(reflect.TypeFor[tokenClaims]())
	tokenClaimFields = fieldList(tokenClaimNames)
)

// plainMembers reports whether json.Unmarshal(obj, v), for a struct v
// whose JSON member names are fields, reads exactly what decodeExact
// reads, saving decodeExact's three passes. That is when obj is an object
// whose member names are printable ASCII written without escapes
// (encoding/json folds the case of the others, Unicode included), none
// differing from one of fields by case only, and none of fields appearing
// twice (json.Unmarshal merges two objects where decodeExact keeps the
// last). It answers false when in doubt, for instance on invalid JSON
// (json.Unmarshal then fails as decodeExact's caller would). unknown
// reports a member whose name is not in known (if known is not nil).
func plainMembers(obj []byte, fields []string, known map[string]bool) (ok, unknown bool) {
	var seen uint64
	i := skipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return false, false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return true, false
	}
	for i < len(obj) && obj[i] == '"' {
		start, end := i+1, i+1
		for ; end < len(obj) && obj[end] != '"'; end++ {
			if c := obj[end]; c < 0x20 || c >= 0x7f || c == '\\' {
				return false, false
			}
		}
		if end == len(obj) {
			return false, false
		}
		name := obj[start:end]
		for f, field := range fields {
			if !asciiEqualFold(field, name) {
				continue
			}
			if string(name) != field || seen&(1<<f) != 0 {
				return false, false
			}
			seen |= 1 << f
		}
		if known != nil && !known[string(name)] {
			unknown = true
		}
		i = skipSpace(obj, end+1)
		if i == len(obj) || obj[i] != ':' {
			return false, false
		}
		if i = skipValue(obj, skipSpace(obj, i+1)); i < 0 {
			return false, false
		}
		i = skipSpace(obj, i)
		switch {
		case i == len(obj):
			return false, false
		case obj[i] == '}':
			return true, unknown
		case obj[i] == ',':
			i = skipSpace(obj, i+1)
		default:
			return false, false
		}
	}
	return false, false
}

func asciiEqualFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c, d := s[i], b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value that starts at
// b[i], or -1. Valid JSON is assumed: it only finds where values end.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the enclosing object ends a number or literal
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}

// fieldList returns names as a sorted list of at most 64 (the bits of
// plainMembers' set).
func fieldList(names map[string]bool) []string {
	list := slices.Sorted(maps.Keys(names))
	if len(list) > 64 {
		panic("franceconnect: more than 64 claim fields")
	}
	return list
}

// decodeExact unmarshals into v the members of obj whose names are exactly
// v's JSON names. encoding/json matches struct fields without regard to
// case, so on its own it would read "ISS", "Sub" or a second "NONCE" as
// iss, sub or nonce; claim names are case-sensitive (RFC 7519 section 4).
func decodeExact(obj map[string]json.RawMessage, v any, names map[string]bool) error {
	kept := make(map[string]json.RawMessage, len(names))
	for k, m := range obj {
		if names[k] {
			kept[k] = m
		}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// jsonNames lists the JSON member names of a struct's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
}

//go:build !unix

package multitenant

import "io/fs"

// checkPrivate accepts the directory: outside Unix, the user's
// configuration directory is private by its access lists.
func checkPrivate(string, fs.FileInfo) error { return nil }

package portal

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// checkPortalURLs checks that the callback and post-logout URLs can reach
// this portal: same origin (the browser must send the portal's cookies to
// both), distinct paths of their own, and, when they name a loopback host
// (no reverse proxy in between), the port the portal listens on.
func checkPortalURLs(addr, redirect, postLogout string) []string {
	var problems []string
	ru, err1 := url.Parse(redirect)
	pu, err2 := url.Parse(postLogout)
	if err1 != nil || err2 != nil || ru.Host == "" || pu.Host == "" {
		return nil // franceconnect.New explains what is wrong with them
	}
	if ru.Scheme != pu.Scheme || !strings.EqualFold(ru.Host, pu.Host) {
		problems = append(problems, fmt.Sprintf("%s (%s) and %s (%s) must point at the same portal (same scheme, host and port): the browser keeps the portal's cookies per host",
			EnvRedirectURL, redirect, EnvPostLogoutRedirectURL, postLogout))
	}
	rp, pp := pathOf(ru), pathOf(pu)
	for _, u := range []struct{ name, path string }{{EnvRedirectURL, rp}, {EnvPostLogoutRedirectURL, pp}} {
		if reserved(u.path) {
			problems = append(problems, fmt.Sprintf("%s path %s is one of the portal's own pages: register a path of its own, such as %s or %s", u.name, u.path, CallbackPath, LoggedOutPath))
		}
	}
	if rp == pp {
		problems = append(problems, fmt.Sprintf("%s and %s have the same path %s: the callback and the return from logout need a path each", EnvRedirectURL, EnvPostLogoutRedirectURL, rp))
	}
	if isLoopback(ru.Hostname()) {
		_, listenPort, err := net.SplitHostPort(addr)
		urlPort := ru.Port()
		if urlPort == "" {
			urlPort = map[string]string{"http": "80", "https": "443"}[ru.Scheme]
		}
		if err == nil && listenPort != "0" && urlPort != listenPort {
			problems = append(problems, fmt.Sprintf("%s %s points at port %s of this machine, but the portal listens on %s: set %s=%s or -addr 127.0.0.1:%s, or register a callback URL on port %s",
				EnvRedirectURL, redirect, urlPort, addr, EnvPort, urlPort, urlPort, listenPort))
		}
	}
	return problems
}

func pathOf(u *url.URL) string {
	if p := u.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

func reserved(p string) bool {
	switch p {
	case HomePath, ProfilePath, LoginPath, LogoutPath, AgentsLoginPath:
		return true
	}
	return strings.HasPrefix(p, staticPrefix)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

module github.com/franceconnect-go/franceconnect/e2e

go 1.26.0

replace github.com/franceconnect-go/franceconnect => ../

require (
	github.com/chromedp/chromedp v0.23.0
	github.com/franceconnect-go/franceconnect v0.0.0-00010101000000-000000000000
)

require (
	github.com/chromedp/cdproto v0.159.0 // indirect
	github.com/coreos/go-oidc/v3 v3.21.0 // indirect
	github.com/go-jose/go-jose/v4 v4.1.8 // indirect
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	golang.org/x/oauth2 v0.37.0 // indirect
)

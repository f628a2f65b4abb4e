package franceconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

// maxDiscoverySize bounds the discovery document.
const maxDiscoverySize = 256 << 10

// DiscoverEnvironment reads a v2 provider's discovery document
// (issuer + "/.well-known/openid-configuration") and returns the
// environment it describes. The document's issuer must equal issuer byte
// for byte (ErrIssuerMismatch otherwise): a provider announcing another
// issuer is not the one configured.
//
// The presets need no discovery; use this for a provider whose endpoints
// are not FranceConnect's route names. client may be nil (10 s timeout).
func DiscoverEnvironment(ctx context.Context, issuer string, client *http.Client) (Environment, error) {
	if err := checkIssuerURL(issuer); err != nil {
		return Environment{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if client == nil {
		client = defaultHTTPClient
	}
	ctx = oidc.ClientContext(ctx, httpx.LimitClient(client, maxDiscoverySize))
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return Environment{}, fmt.Errorf("%w: discovery announces %s, want %q", ErrIssuerMismatch, safe(mismatch.Discovered), issuer)
		}
		return Environment{}, fmt.Errorf("%w: discovery: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	// go-oidc exposes neither of these: read them in one pass.
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
		JWKSURI    string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrProviderUnavailable, err)
	}
	env := Environment{
		Name:                  "discovered",
		Version:               V2,
		Issuer:                issuer,
		AuthorizationEndpoint: p.Endpoint().AuthURL,
		TokenEndpoint:         p.Endpoint().TokenURL,
		UserInfoEndpoint:      p.UserInfoEndpoint(),
		EndSessionEndpoint:    meta.EndSession,
		JWKSURI:               meta.JWKSURI,
	}
	if err := env.validate(); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrProviderUnavailable, err)
	}
	return env, nil
}

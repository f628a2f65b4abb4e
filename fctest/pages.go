package fctest

import (
	"html/template"
	"net/http"
	"net/url"
)

var chooserTmpl = template.Must(template.New("chooser").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Brand}} (fctest) – Choisissez une identité de test</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#161616}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem 1rem;font-size:1rem;text-align:left;background:#000091;color:#fff;border:0;cursor:pointer}
button:hover,button:focus{background:#1212ff}
</style>
</head>
<body>
<header><p><strong>{{.Brand}}</strong> · serveur de test <code>fctest</code></p></header>
<main>
<h1>Choisissez une identité de test</h1>
<p>Le service <code>{{.ClientID}}</code> demande à vous identifier{{if eq .Brand "FranceConnect"}} (niveau eIDAS faible){{end}}.</p>
<form method="post" action="{{.Prefix}}/interaction/{{.UID}}/login">
{{if .Choices}}<fieldset data-choices="proconnect"><legend>Cette connexion (outils de test de ProConnect)</legend>
<input type="hidden" name="choices" value="1">
<p><label>Niveau du fournisseur d’identité de l’agent
<select name="acr"><option value="">celui de l’agent</option>{{range .Levels}}<option value="{{.}}">{{.}}</option>{{end}}</select></label></p>
<p><label>Méthodes d’authentification (amr, séparées par des espaces) <input name="amr" placeholder="pwd otp"></label></p>
<p><label>SIRET <input name="siret" inputmode="numeric" maxlength="14" placeholder="celui de l’agent"></label></p>
<p><label><input type="checkbox" name="mail_code" checked> ProConnect peut envoyer à l’agent son code par e-mail (double authentification)</label></p>
</fieldset>
{{end}}{{if .Current}}<p data-session="active">Vous êtes déjà connecté à {{.Brand}} :</p>
<button type="submit" name="login" value="{{.Current.Login}}">Continuer en tant que {{.Current.Label}}</button>
<p>Ou choisissez une autre identité :</p>
{{end}}{{range .Users}}<button type="submit" name="login" value="{{.Login}}">{{.Label}}</button>
{{end}}</form>
<p><a href="{{.Prefix}}/interaction/{{.UID}}/abort">Revenir sur le service</a></p>
</main>
</body>
</html>
`))

func (s *Server) chooserPage(w http.ResponseWriter, uid, clientID string, users []User, current string) {
	type entry struct{ Login, Label string }
	data := struct {
		Brand, Prefix, UID, ClientID string
		Users                        []entry
		Current                      *entry
		Choices                      bool
		Levels                       []string
	}{Brand: s.brand(), Prefix: s.prefix, UID: uid, ClientID: clientID, Choices: s.pc}
	if s.pc {
		data.Levels = proConnectLevels
	}
	for _, u := range users {
		data.Users = append(data.Users, entry{u.Login, u.label()})
		if u.Login == current && current != "" {
			data.Current = &entry{u.Login, u.label()}
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = chooserTmpl.Execute(w, data)
}

var errorTmpl = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Erreur – {{.Brand}} (fctest)</title>
</head>
<body data-error-code="{{.Code}}">
<main>
<h1>Une erreur est survenue</h1>
<p>{{.Message}}</p>
<p>Code d’erreur : <strong>{{.Code}}</strong></p>
<p>ID de l’erreur : {{.ID}}</p>
</main>
</body>
</html>
`))

// errorPage shows the provider's error page with a Y-code; the user stays
// on the provider.
func (s *Server) errorPage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, struct{ Brand, Code, Message, ID string }{s.brand(), code, msg, newUUID()})
}

// brand is the provider's name on its pages.
func (s *Server) brand() string {
	switch {
	case s.pc:
		return "ProConnect"
	case s.plus:
		return "FranceConnect+"
	}
	return "FranceConnect"
}

// requestParams returns the parameters of a GET (query) or POST (form)
// request, as FranceConnect's authorize and session/end accept both; on
// anything else it answers the error page and returns false.
func (s *Server) requestParams(w http.ResponseWriter, r *http.Request) (url.Values, bool) {
	switch r.Method {
	case http.MethodGet:
		return r.URL.Query(), true
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, http.StatusBadRequest, yBadParams, "Le formulaire est illisible.")
			return nil, false
		}
		return r.PostForm, true
	}
	w.Header().Set("Allow", "GET, POST")
	s.errorPage(w, http.StatusMethodNotAllowed, yBadParams, "Méthode non autorisée.")
	return nil, false
}

package franceconnect

// Unexported functions the external tests call.
var (
	ParseAgent    = parseAgent
	ParseIdentity = parseIdentity
	ValidSIREN    = validSIREN
)

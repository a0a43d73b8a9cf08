package copywriter

import "github.com/shopmuse/shopmuse/persona"

// Persona is persona.Persona under the name it had before personas left this
// package. It exists only for the references in resolvers/ (resolver_engage.go,
// loaders.go), which move to persona.Persona when the resolvers are rebuilt
// over the app layer; delete it then.
type Persona = persona.Persona

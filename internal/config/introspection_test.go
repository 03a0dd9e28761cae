package config

import (
	"strings"
	"testing"
)

func TestIntrospectionFollowsTheEnvironment(t *testing.T) {
	secret := "SECRET_KEY=" + strings.Repeat("k", MinSecretBytes)
	tests := []struct {
		env  []string
		want bool
	}{
		{nil, true},
		{[]string{"ENSEMBLE_ENV=production", secret}, false},
		{[]string{"ENSEMBLE_ENV=production", secret, "GRAPHQL_INTROSPECTION="}, false},
		{[]string{"ENSEMBLE_ENV=production", secret, "GRAPHQL_INTROSPECTION=true"}, true},
		{[]string{"GRAPHQL_INTROSPECTION=false"}, false},
	}
	for _, tc := range tests {
		c, err := Load(tc.env, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.Introspection != tc.want {
			t.Errorf("%v: introspection %v", tc.env, c.Introspection)
		}
	}
}

func TestDocumentLimits(t *testing.T) {
	c, err := Load(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if c.MaxQueryBytes != 64<<10 || c.MaxTokens != 3000 || c.MaxFragments != 100 || c.MaxDirectives != 50 || c.MaxAliases != 30 {
		t.Fatalf("defaults: %d bytes, %d tokens, %d fragments, %d directives, %d aliases",
			c.MaxQueryBytes, c.MaxTokens, c.MaxFragments, c.MaxDirectives, c.MaxAliases)
	}
	for _, env := range []string{"GRAPHQL_MAX_QUERY_BYTES=2000000", "GRAPHQL_MAX_TOKENS=0", "GRAPHQL_MAX_ALIASES=-1"} {
		if _, err := Load([]string{env}, ""); err == nil || !strings.Contains(err.Error(), strings.SplitN(env, "=", 2)[0]) {
			t.Errorf("%s: %v", env, err)
		}
	}
}

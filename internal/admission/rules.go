package admission

import (
	"strings"

	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// withoutSuggestions are gqlparser's rules that can say "Did you mean ...", in their
// variants that do not. gqlgen's SetDisableSuggestion swaps only the first two.
var withoutSuggestions = []core.Rule{
	rules.FieldsOnCorrectTypeRuleWithoutSuggestions,
	rules.ScalarLeafsRuleWithoutSuggestions,
	rules.KnownArgumentNamesRuleWithoutSuggestions,
	rules.KnownTypeNamesRuleWithoutSuggestions,
	rules.ValuesOfCorrectTypeRuleWithoutSuggestions,
}

// ValidationRules returns the rule set for gqlgen's SetValidationRulesFn: the standard
// rules and those of @defer, without suggestions unless suggest (they map the schema for
// whoever probes it), and reporting at most MaxErrors errors per document, then one saying
// the rest were left out. gqlgen calls it once per document it validates.
func ValidationRules(suggest bool) func() *rules.Rules {
	return func() *rules.Rules {
		base := rules.NewDefaultRules()
		base.AddRule(deferRule.Name, deferRule.RuleFunc)
		if !suggest {
			for _, r := range withoutSuggestions {
				base.RemoveRule(strings.TrimSuffix(r.Name, "WithoutSuggestions"))
				base.AddRule(r.Name, r.RuleFunc)
			}
		}
		reported := 0 // shared by the rules of this one validation
		capped := rules.NewRules()
		for name, fn := range base.GetInner() {
			capped.AddRule(name, limitErrors(fn, &reported))
		}
		return capped
	}
}

// limitErrors passes fn's errors on until reported reaches MaxErrors. The errors left
// out are never built: their messages are not even formatted.
func limitErrors(fn core.RuleFunc, reported *int) core.RuleFunc {
	return func(observers *core.Events, addError core.AddErrFunc) {
		fn(observers, func(options ...core.ErrorOption) {
			*reported++
			switch {
			case *reported <= MaxErrors:
				addError(options...)
			case *reported == MaxErrors+1:
				addError(core.Message("too many errors: only the first %d are shown", MaxErrors))
			}
		})
	}
}

package admission

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/validator/core"
)

// deferRule holds @defer to the validation rules of the incremental delivery draft
// (graphql-js 17's label, root field and operation rules). gqlparser declares @defer but
// checks only where it stands and the types of its arguments.
var deferRule = core.Rule{
	Name: "DeferDirectives",
	RuleFunc: func(observers *core.Events, addError core.AddErrFunc) {
		labels := map[string]bool{}
		// The walker enters a fragment once from each operation that spreads it and once
		// on its own: a directive is checked once, whatever reaches it.
		seen := map[*ast.Directive]bool{}
		observers.OnDirective(func(w *core.Walker, d *ast.Directive) {
			if d.Name != "defer" {
				return
			}
			if op := w.CurrentOperation; op != nil && op.Operation == ast.Subscription && !canBeFalse(d) {
				// A subscription's events each are one result; the draft has no incremental
				// form for them.
				addError(core.Message(`@defer is not supported in subscriptions: remove it, or turn it off with "if: false" (or a variable that is false)`),
					core.At(d.Position))
			}
			if seen[d] {
				return
			}
			seen[d] = true
			if m := w.Schema.Mutation; m != nil && d.ParentDefinition != nil && d.ParentDefinition.Name == m.Name {
				// Mutation root fields run one after another, each seeing the previous
				// one's writes: none of them can come later.
				addError(core.Message("@defer cannot be used on the root mutation type %q: defer fragments inside a mutation field's selection instead", m.Name),
					core.At(d.Position))
			}
			label := d.Arguments.ForName("label")
			if label == nil || label.Value == nil {
				return
			}
			if label.Value.Kind != ast.StringValue && label.Value.Kind != ast.BlockValue {
				addError(core.Message("the label of @defer must be a literal string, not a variable"), core.At(label.Position))
				return
			}
			if labels[label.Value.Raw] {
				addError(core.Message("the label %q is used by another @defer: each label must be unique in the document", label.Value.Raw),
					core.At(label.Position))
			}
			labels[label.Value.Raw] = true
		})
	},
}

// canBeFalse reports whether d's if argument may turn it off: a literal false, or a
// variable.
func canBeFalse(d *ast.Directive) bool {
	arg := d.Arguments.ForName("if")
	if arg == nil || arg.Value == nil {
		return false
	}
	switch arg.Value.Kind {
	case ast.Variable:
		return true
	case ast.BooleanValue:
		return arg.Value.Raw == "false"
	}
	return false
}

package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/limits"
)

// Limits are the rate limits and caps of the API (the README's Security section lists
// them). A Limit or Backoff left zero limits nothing; Store and Hashes are required.
type Limits struct {
	// Store counts: in process, or in Redis to share the budgets between instances.
	Store limits.Store
	// TrustedProxies may say, in X-Forwarded-For, whom they forward for.
	TrustedProxies []netip.Prefix
	// SignIn bounds password attempts (sign-ins, deleteAccount) per client address.
	SignIn limits.Limit
	// SignInFailures locks an account out for one client address after wrong passwords
	// from it. Keyed by account and address, not by account alone, so that nobody can
	// lock a victim out of their account: the victim's own address is untouched.
	SignInFailures limits.Backoff
	// Registrations and Refresh bound those per client address.
	Registrations limits.Limit
	Refresh       limits.Limit
	// Cost is the complexity an account may spend; AnonymousCost the same for a client
	// address without a token.
	Cost          limits.Limit
	AnonymousCost limits.Limit
	// Hashes bounds the password hashes computed at once.
	Hashes *auth.HashGate
	// SocketsPerUser, SubscriptionsPerUser (WebSocket and SSE) and
	// SubscriptionsPerSocket cap what one user holds open on this instance; 0 removes a cap.
	SocketsPerUser         int
	SubscriptionsPerUser   int
	SubscriptionsPerSocket int
}

// guard applies the Limits.
type guard struct {
	Limits
	sockets       *limits.Slots
	subscriptions *limits.Slots
	present       graphql.ErrorPresenterFunc
	logger        *slog.Logger
}

func newGuard(l Limits, present graphql.ErrorPresenterFunc, logger *slog.Logger) *guard {
	return &guard{Limits: l, sockets: limits.NewSlots(l.SocketsPerUser), subscriptions: limits.NewSlots(l.SubscriptionsPerUser),
		present: present, logger: logger}
}

// take takes n from key's budget under l, or answers what was refused and for how long.
func (g *guard) take(ctx context.Context, key string, l limits.Limit, n int, what string) error {
	d, err := g.Store.Take(ctx, key, l, n)
	if err != nil {
		return fmt.Errorf("rate limit %s: %w", key, err)
	}
	if d > 0 {
		return errs.RateLimited(what, d)
	}
	return nil
}

// hashing runs fn, which checks or hashes one password, once the hash bound lets it.
func (g *guard) hashing(ctx context.Context, fn func(context.Context) error) error {
	leave, err := g.Hashes.Enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	return fn(ctx)
}

// signIn runs check, a password check for the account login names, unless the client
// address has tried too often, or has failed for this account too often of late. A wrong password counts
// toward the account's lockout for this address; a right one clears it.
func (g *guard) signIn(ctx context.Context, login string, check func(context.Context) error) error {
	addr := clientFrom(ctx)
	if err := g.take(ctx, "signin:addr:"+addr, g.SignIn, 1, "too many password attempts from your address"); err != nil {
		return err
	}
	key := "signin:fail:" + accountKey(login) + ":" + addr
	locked, err := g.Store.LockedFor(ctx, key)
	if err != nil {
		return fmt.Errorf("sign-in lockout: %w", err)
	}
	if locked > 0 {
		return errs.RateLimited("too many wrong passwords for this account from your address", locked)
	}
	err = g.hashing(ctx, check)
	switch {
	case err == nil:
		if ferr := g.Store.Forgive(ctx, key); ferr != nil {
			loggerFrom(ctx, g.logger).Warn("could not clear sign-in failures", "error", ferr)
		}
	case errors.Is(err, errs.ErrUnauthenticated):
		if _, ferr := g.Store.Fail(ctx, key, g.SignInFailures); ferr != nil {
			loggerFrom(ctx, g.logger).Warn("could not count a sign-in failure", "error", ferr)
		}
	}
	return err
}

// accountKey names the account a sign-in asks for without keeping the login itself
// (an email address, possibly) in the store, and in a key of bounded length whatever
// the client sent. Logins match case-insensitively here, so that case variations do not
// multiply an attacker's attempts.
func accountKey(login string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(strings.TrimSpace(login))))
	return hex.EncodeToString(sum[:16])
}

// register runs fn, which registers an account, unless the client address has
// registered too many of late.
func (g *guard) register(ctx context.Context, fn func(context.Context) error) error {
	if err := g.take(ctx, "register:addr:"+clientFrom(ctx), g.Registrations, 1, "too many registrations from your address"); err != nil {
		return err
	}
	return g.hashing(ctx, fn)
}

// refresh runs fn, which trades a refresh token, unless the client address has done so
// too often of late.
func (g *guard) refresh(ctx context.Context, fn func(context.Context) error) error {
	if err := g.take(ctx, "refresh:addr:"+clientFrom(ctx), g.Refresh, 1, "too many token refreshes from your address"); err != nil {
		return err
	}
	return fn(ctx)
}

// aroundFields throttles the mutations that sign in, register and refresh, and bounds
// the password hashes of every field that checks one, without the resolvers knowing.
func (g *guard) aroundFields(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc.Object != "Mutation" {
		return next(ctx)
	}
	var res any
	run := func(ctx context.Context) (err error) {
		res, err = next(ctx)
		return err
	}
	var err error
	switch fc.Field.Name {
	case "login":
		in, _ := fc.Args["input"].(model.LoginInput)
		err = g.signIn(ctx, in.Login, run)
	case "register":
		err = g.register(ctx, run)
	case "refreshToken":
		err = g.refresh(ctx, run)
	case "deleteAccount":
		// A stolen access token must not make deleteAccount a password oracle. Without a
		// token the field refuses by itself, and that is no wrong password.
		id, aerr := auth.FromContext(ctx)
		if aerr != nil {
			return next(ctx)
		}
		err = g.signIn(ctx, "user:"+id.UserID.String(), run)
	default:
		return next(ctx)
	}
	return res, err
}

// chargeCost charges each operation's complexity to the caller's budget: the account's,
// or the client address's without a token. An operation costs at least 1, even one of
// scalar fields only, which complexity counts as nothing.
func (g *guard) chargeCost(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	stats := extension.GetComplexityStats(ctx)
	if stats == nil {
		return next(ctx)
	}
	key, l := "cost:addr:"+clientFrom(ctx), g.AnonymousCost
	if id, err := auth.FromContext(ctx); err == nil {
		key, l = "cost:user:"+id.UserID.String(), g.Cost
	}
	if err := g.take(ctx, key, l, max(stats.Complexity, 1), "this account or address has spent its request budget for now"); err != nil {
		rctx := graphql.WithResponseContext(ctx, g.present, nil)
		graphql.AddError(rctx, err)
		return graphql.OneShot(&graphql.Response{Errors: graphql.GetErrors(rctx)})
	}
	return next(ctx)
}

// passwordFields are the fields that check or hash a password. Each costs a hash of
// PASSWORD_HASH_MEMORY_KIB, so an operation may hold one at most: aliases would
// otherwise make one request into thousands of hashes.
var passwordFields = map[string]bool{"login": true, "register": true, "deleteAccount": true}

// onePasswordField refuses an operation selecting more than one password field before
// any of it runs.
type onePasswordField struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = onePasswordField{}

func (onePasswordField) ExtensionName() string { return "OnePasswordField" }

func (onePasswordField) Validate(graphql.ExecutableSchema) error { return nil }

func (onePasswordField) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Mutation {
		return nil
	}
	keys := map[string]bool{}
	collectPasswordFields(oc.Operation.SelectionSet, keys, map[string]bool{})
	if len(keys) > 1 {
		err := gqlerror.Errorf("an operation may check one password at most; send %s in separate requests",
			strings.Join(slices.Sorted(maps.Keys(keys)), ", "))
		err.Extensions = map[string]any{"code": codeBadUserInput}
		return err
	}
	return nil
}

// collectPasswordFields adds the response keys of the password fields among the root
// fields of set to keys, visiting each fragment once. Fields of the same response key
// run once, so they count once; @skip and @include are not read, so a field that would
// be skipped still counts.
func collectPasswordFields(set ast.SelectionSet, keys, seen map[string]bool) {
	for _, sel := range set {
		switch s := sel.(type) {
		case *ast.Field:
			if passwordFields[s.Name] {
				keys[s.Alias] = true
			}
		case *ast.InlineFragment:
			collectPasswordFields(s.SelectionSet, keys, seen)
		case *ast.FragmentSpread:
			if !seen[s.Name] && s.Definition != nil {
				seen[s.Name] = true
				collectPasswordFields(s.Definition.SelectionSet, keys, seen)
			}
		}
	}
}

// clientKey carries the client address in a request's context.
type clientKey struct{}

// withClient records the client address that rate limits count by.
func withClient(trusted []netip.Prefix, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), clientKey{}, addressKey(clientAddress(r, trusted)))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientFrom is the client address key of the request ctx belongs to.
func clientFrom(ctx context.Context) string {
	if s, ok := ctx.Value(clientKey{}).(string); ok {
		return s
	}
	return "unknown"
}

// clientAddress is the peer's address, or, when the peer is a trusted proxy, the first
// address in X-Forwarded-For, read from the right, that is not a trusted proxy: entries
// further left were written by the client and prove nothing.
func clientAddress(r *http.Request, trusted []netip.Prefix) netip.Addr {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := peer.Addr().Unmap()
	if !isTrusted(addr, trusted) {
		return addr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			// A proxy we trust wrote something we cannot read: count by that proxy.
			return addr
		}
		addr = hop
		if !isTrusted(hop, trusted) {
			return hop
		}
	}
	return addr
}

// parseHop reads one X-Forwarded-For entry: an address, possibly with a port.
func parseHop(s string) (netip.Addr, bool) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// addressKey is what limits count an address as. An IPv6 client commonly holds a whole
// /64, so its addresses count as one.
func addressKey(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "unknown"
	case a.Is6():
		return netip.PrefixFrom(a, 64).Masked().String()
	}
	return a.String()
}

// retryNote collects the longest retry of the RATE_LIMITED and OVERLOADED errors of one
// HTTP response, and whether the operation was refused as OVERLOADED.
type retryNote struct {
	mu         sync.Mutex
	seconds    int
	overloaded bool
}

type retryNoteKey struct{}

// noteRetryAfter records e for the Retry-After header of the HTTP response of ctx's
// request, if it has one still to write.
func noteRetryAfter(ctx context.Context, e *errs.RateLimitedError) {
	n, ok := ctx.Value(retryNoteKey{}).(*retryNote)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seconds = max(n.seconds, e.Seconds())
}

// noteOverloaded records that the operation of ctx's HTTP request was refused as
// OVERLOADED: answered 503 with Retry-After.
func noteOverloaded(ctx context.Context) {
	n, ok := ctx.Value(retryNoteKey{}).(*retryNote)
	if !ok {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seconds = max(n.seconds, overloadRetryAfter)
	n.overloaded = true
}

// refusedOverloaded reports whether the operation of ctx's HTTP request was refused as
// OVERLOADED.
func refusedOverloaded(ctx context.Context) bool {
	n, ok := ctx.Value(retryNoteKey{}).(*retryNote)
	if !ok {
		return false
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.overloaded
}

// retryAfterHeader sets Retry-After on a GraphQL response that carries a RATE_LIMITED
// or OVERLOADED error. WebSocket upgrades are left alone: their errors travel in messages.
func retryAfterHeader(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" {
			next.ServeHTTP(w, r)
			return
		}
		note := &retryNote{}
		rw := &retryAfterWriter{ResponseWriter: w, note: note}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), retryNoteKey{}, note)))
	})
}

// retryAfterWriter adds Retry-After, when noted, as the response's header is written.
type retryAfterWriter struct {
	http.ResponseWriter
	note  *retryNote
	wrote bool
}

func (w *retryAfterWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.note.mu.Lock()
		if w.note.seconds > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(w.note.seconds))
		}
		w.note.mu.Unlock()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *retryAfterWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

// Flush lets SSE push each event through.
func (w *retryAfterWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (w *retryAfterWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// tooManyTokenRequests answers a refused OAuth2 token request: 429 with Retry-After.
func tooManyTokenRequests(w http.ResponseWriter, e *errs.RateLimitedError) {
	w.Header().Set("Retry-After", strconv.Itoa(e.Seconds()))
	oauthError(w, http.StatusTooManyRequests, "temporarily_unavailable", e.Error())
}

package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/admission"
	"github.com/literaryai/ensemble/internal/errs"
)

// The error codes clients see in extensions.code.
const (
	codeBadUserInput    = "BAD_USER_INPUT"
	codeUnauthenticated = "UNAUTHENTICATED"
	codeForbidden       = "FORBIDDEN"
	codeNotFound        = "NOT_FOUND"
	codeConflict        = "CONFLICT"
	codePayloadTooLarge = "PAYLOAD_TOO_LARGE"
	codeInternal        = "INTERNAL"
	codeBadRequest      = "BAD_REQUEST"
	codeNotAcceptable   = "NOT_ACCEPTABLE"
	codeDepthLimit      = "DEPTH_LIMIT_EXCEEDED"
	codeUnavailable     = "SERVICE_UNAVAILABLE"
	codeRateLimited     = "RATE_LIMITED"
	codeTooManyErrors   = "TOO_MANY_ERRORS"
	// The instance could not start the operation soon enough (HTTP 503, Retry-After).
	codeOverloaded = "OVERLOADED"
	// The operation ran past GRAPHQL_TIMEOUT and was stopped.
	codeTimeout = "TIMEOUT"
	// The client went away (or ended the operation) before it finished.
	codeCanceled = "CANCELED"
	// A document other than the registered ones, in trusted documents mode.
	codePersistedQueryNotAllowed = "PERSISTED_QUERY_NOT_ALLOWED"
)

// The codes of operations refused by admission (internal/admission).
const (
	codeFragmentLimit      = "FRAGMENT_LIMIT_EXCEEDED"
	codeDirectiveLimit     = "DIRECTIVE_LIMIT_EXCEEDED"
	codeAliasLimit         = "ALIAS_LIMIT_EXCEEDED"
	codeSelectionLimit     = "SELECTION_LIMIT_EXCEEDED"
	codeComplexityLimit    = "COMPLEXITY_LIMIT_EXCEEDED"
	codeIntrospectionLimit = "INTROSPECTION_LIMIT_EXCEEDED"
	codeIntrospectionOff   = "INTROSPECTION_DISABLED"
)

var admissionCodes = map[admission.Limit]string{
	admission.LimitQueryBytes:       codePayloadTooLarge,
	admission.LimitFragments:        codeFragmentLimit,
	admission.LimitDirectives:       codeDirectiveLimit,
	admission.LimitAliases:          codeAliasLimit,
	admission.LimitSelections:       codeSelectionLimit,
	admission.LimitRepeats:          codeSelectionLimit,
	admission.LimitDepth:            codeDepthLimit,
	admission.LimitComplexity:       codeComplexityLimit,
	admission.LimitIntrospection:    codeIntrospectionLimit,
	admission.LimitIntrospectionOff: codeIntrospectionOff,
}

func init() {
	// A refused operation is a request error, answered like a validation failure (over
	// complexity, it stays as gqlgen's extension answered it).
	for _, code := range []string{codeDepthLimit, codeFragmentLimit, codeDirectiveLimit, codeAliasLimit,
		codeSelectionLimit, codeIntrospectionLimit, codeIntrospectionOff} {
		errcode.RegisterErrorType(code, errcode.KindProtocol)
	}
}

func errTooLargeBody(limit int64) error {
	return fmt.Errorf("the request body is over the limit of %d bytes", limit)
}

// presentError is the one place where errors become GraphQL errors: domain errors get
// their code, anything unexpected is logged with the request id and shown only as
// INTERNAL, so SQL and stack traces never reach a client.
func presentError(logger *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		reqID := requestID(ctx)
		gqlErr.Extensions["requestId"] = reqID
		if _, ok := gqlErr.Extensions["code"]; ok && gqlErr.Err == nil {
			// Already classified by the executor (parse, validation, complexity).
			return gqlErr
		}
		if gqlErr.Err != nil {
			err = gqlErr.Err
		}
		var (
			invalid *errs.InvalidError
			limited *errs.RateLimitedError
			refused *admission.Refusal
			pgErr   *pgconn.PgError
		)
		switch {
		case errors.As(err, &refused):
			gqlErr.Extensions["code"] = admissionCodes[refused.Limit]
		case errors.As(err, &invalid):
			field := invalid.Field
			if field == "" {
				// A scalar that could not be read knows no name; its error's path ends
				// with the argument's.
				field = argumentPath(gqlErr.Path)
			}
			gqlErr.Message = field + ": " + invalid.Message
			gqlErr.Extensions["code"] = codeBadUserInput
			gqlErr.Extensions["field"] = field
		case errors.Is(err, errs.ErrUntrustedDocument):
			gqlErr.Message = unwrapLast(err, errs.ErrUntrustedDocument)
			gqlErr.Extensions["code"] = codePersistedQueryNotAllowed
		case errors.Is(err, errs.ErrPersistedQuery):
			gqlErr.Message = unwrapLast(err, errs.ErrPersistedQuery)
			gqlErr.Extensions["code"] = codeBadRequest
		case errors.As(err, &limited):
			gqlErr.Message = limited.Error()
			gqlErr.Extensions["code"] = codeRateLimited
			gqlErr.Extensions["retryAfter"] = limited.Seconds()
			noteRetryAfter(ctx, limited)
		case errors.Is(err, errs.ErrNotFound):
			gqlErr.Message = "not found"
			gqlErr.Extensions["code"] = codeNotFound
		case errors.Is(err, errs.ErrUnauthenticated):
			gqlErr.Message = unwrapLast(err, errs.ErrUnauthenticated)
			gqlErr.Extensions["code"] = codeUnauthenticated
		case errors.Is(err, errs.ErrForbidden):
			gqlErr.Message = "forbidden: your role does not allow this"
			gqlErr.Extensions["code"] = codeForbidden
		case errors.Is(err, errs.ErrConflict):
			gqlErr.Message = unwrapLast(err, errs.ErrConflict)
			gqlErr.Extensions["code"] = codeConflict
		case errors.Is(err, errs.ErrTooLarge):
			gqlErr.Message = unwrapLast(err, errs.ErrTooLarge)
			gqlErr.Extensions["code"] = codePayloadTooLarge
		case errors.Is(err, errs.ErrOverloaded):
			gqlErr.Message = "the server is busy and could not start this operation; nothing was run; try again in a moment"
			gqlErr.Extensions["code"] = codeOverloaded
			gqlErr.Extensions["retryAfter"] = overloadRetryAfter
			noteOverloaded(ctx)
		case errors.Is(err, errs.ErrTimeout) || errors.Is(context.Cause(ctx), errs.ErrTimeout):
			// Logged once for the operation (overload.aroundOperations), not per field.
			gqlErr.Message = "the operation ran past its time limit and was stopped (request " + reqID + ")"
			gqlErr.Extensions["code"] = codeTimeout
		case ctx.Err() != nil || errors.Is(err, context.Canceled):
			// Whatever failed once the operation was called off (its client gone, its
			// WebSocket operation completed) failed because of it: a statement cancelled, a
			// connection not acquired. Not an outage, and nobody is left to read it.
			gqlErr.Message = "operation canceled"
			gqlErr.Extensions["code"] = codeCanceled
		case errors.Is(err, errs.ErrUnavailable):
			// Name what failed, never how it was reached (URLs can carry credentials).
			loggerFrom(ctx, logger).Warn("dependency unavailable", "error", err, "path", gqlErr.Path.String())
			gqlErr.Message = "a service Ensemble depends on is unavailable; try again later (request " + reqID + ")"
			gqlErr.Extensions["code"] = codeUnavailable
		case databaseDown(err):
			loggerFrom(ctx, logger).Warn("database unavailable", "error", err, "path", gqlErr.Path.String())
			gqlErr.Message = "the database is unavailable; nothing was changed; try again later (request " + reqID + ")"
			gqlErr.Extensions["code"] = codeUnavailable
		case errors.As(err, &pgErr) && pgErr.Code == "23514":
			// A CHECK constraint caught what validation missed: still the client's input.
			gqlErr.Message = "a value is out of its allowed range (" + pgErr.ConstraintName + ")"
			gqlErr.Extensions["code"] = codeBadUserInput
		default:
			loggerFrom(ctx, logger).Error("internal error", "error", err, "path", gqlErr.Path.String())
			gqlErr.Message = "internal error (request " + reqID + ")"
			gqlErr.Extensions["code"] = codeInternal
		}
		gqlErr.Err = nil
		return gqlErr
	}
}

// databaseDown reports whether err says PostgreSQL cannot be reached (no connection, or
// the server refusing or dropping them), as opposed to a query that failed.
func databaseDown(err error) bool {
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P01-57P03: shutting down, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03" ||
			pgErr.Code == "3D000"
	}
	var netErr *net.OpError
	return errors.As(err, &netErr) || pgconn.SafeToRetry(err)
}

// argumentPath turns the path of an argument error (field, then argument names) into the
// argument's path.
func argumentPath(p ast.Path) string {
	if len(p) < 2 {
		return p.String()
	}
	return p[1:].String()
}

// unwrapLast returns err's message without the sentinel's own text at its end, which
// would only repeat the code.
func unwrapLast(err, sentinel error) string {
	msg := err.Error()
	suffix := ": " + sentinel.Error()
	if len(msg) > len(suffix) && msg[len(msg)-len(suffix):] == suffix {
		return msg[:len(msg)-len(suffix)]
	}
	return msg
}

// recoverPanic turns a resolver panic into an INTERNAL error and logs its stack.
func recoverPanic(logger *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		loggerFrom(ctx, logger).Error("panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return errors.New("internal panic")
	}
}

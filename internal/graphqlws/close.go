package graphqlws

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/coder/websocket"
)

// Close codes sent by the server; see the package documentation.
const (
	CloseBadRequest       = 4400
	CloseUnauthorized     = 4401
	CloseForbidden        = 4403
	CloseInitTimeout      = 4408
	CloseSubscriberExists = 4409
	CloseTooManyInits     = 4429
	CloseSlowConsumer     = 4499
	CloseInternalError    = 4500
)

// Fixed close reasons, worded as graphql-transport-ws words them.
const (
	reasonUnauthorized     = "Unauthorized"
	reasonForbidden        = "Forbidden"
	reasonCredentialsEnded = "Forbidden: credentials expired or revoked"
	reasonInitTimeout      = "Connection initialisation timeout"
	reasonTooManyInits     = "Too many initialisation requests"
	reasonSlowConsumer     = "Slow consumer: reconnect and resume from your last cursor"
	reasonInternalError    = "Internal server error"
	reasonInvalidMessage   = "Invalid message received"
	reasonRestart          = "Going away: server restarting"
)

// maxCloseReason is what fits in a close frame: 125 bytes of control payload less the code.
const maxCloseReason = 123

// closeError is a reason to close the socket, carried as an error through the decoding and
// init paths.
type closeError struct {
	code   websocket.StatusCode
	reason string
}

func (e *closeError) Error() string { return e.reason }

// CloseWith is an error for Config.Init that closes the socket with code and reason
// (cut to fit a close frame) instead of 4403, for a refusal that is not about the
// credentials: too many connections, say.
func CloseWith(code websocket.StatusCode, reason string) error {
	return &closeError{code: code, reason: truncateReason(reason)}
}

func badRequest(detail string) *closeError {
	return &closeError{code: CloseBadRequest, reason: truncateReason(reasonInvalidMessage + ": " + detail)}
}

// truncateReason makes s fit a close frame as valid UTF-8 (a browser fails the whole
// connection on a reason that is not). A reason too long loses its end at a word boundary,
// or, when the last space comes too early to keep much, at a rune boundary, and ends with
// an ellipsis so that the client can tell it was cut.
func truncateReason(s string) string {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if len(s) <= maxCloseReason {
		return s
	}
	cut := maxCloseReason - len(ellipsis)
	for !utf8.RuneStart(s[cut]) {
		cut--
	}
	head := s[:cut]
	if i := strings.LastIndexFunc(s[:cut+1], unicode.IsSpace); i > cut/2 {
		head = strings.TrimRightFunc(s[:i], unicode.IsSpace)
	}
	return head + ellipsis
}

const ellipsis = "…"

// closeFrame is how the connection ends.
type closeFrame struct {
	code   websocket.StatusCode
	reason string
	// flush writes the messages already queued (a connection_error, say) before closing.
	flush bool
	// abrupt drops the TCP connection without a close handshake: the peer is gone or stalled.
	abrupt bool
}

package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/resolvers"
)

// Media types of GraphQL over HTTP.
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// httpTransport serves GraphQL over HTTP GET and POST as the GraphQL-over-HTTP spec
// describes, for both response media types. gqlgen's own POST and GET transports answer
// request errors with 422 under application/json and include a null data entry under
// application/graphql-response+json; this transport gives the status codes and bodies
// the spec asks for, and bounds the request body.
type httpTransport struct {
	maxBody int64
}

var _ graphql.Transport = httpTransport{}

// Supports takes every request that is neither a WebSocket upgrade, a multipart upload,
// nor an OPTIONS or HEAD (transport.Options answers those), so that an unsupported
// Content-Type gets a clear 415 and an unsupported method a 405 here.
func (t httpTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" {
		return false
	}
	switch r.Method {
	case http.MethodOptions, http.MethodHead:
		return false
	case http.MethodPost:
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		return mt != "multipart/form-data"
	}
	return true
}

// noSingleConnection answers the PUT and DELETE of graphql-sse's single connection mode,
// whose reserved streams this server does not keep.
const noSingleConnection = "graphql-sse's single connection mode (PUT, DELETE) is not supported: " +
	"use its distinct connections mode (singleConnection: false, the default) or a WebSocket"

// allowedMethods is the Allow header of a 405 for a method other than GET and POST; it
// names OPTIONS too, which transport.Options answers.
const allowedMethods = "OPTIONS, GET, POST"

// responseMedia picks the response media type from Accept, or "" when the client accepts
// neither (406). Quality values count, and the most specific range naming a type gives
// its quality (so "application/json;q=0, */*" refuses application/json). On a tie,
// application/graphql-response+json wins only when the client named it: a bare */*
// gets application/json, as the spec asks.
func responseMedia(accept string) string {
	if strings.TrimSpace(accept) == "" {
		return mediaJSON
	}
	gq, gExact := acceptQuality(accept, mediaGraphQLResponse)
	jq, _ := acceptQuality(accept, mediaJSON)
	switch {
	case gq > 0 && (gq > jq || gq == jq && gExact):
		return mediaGraphQLResponse
	case jq > 0:
		return mediaJSON
	case gq > 0:
		return mediaGraphQLResponse
	}
	return ""
}

// acceptQuality is the quality that accept gives the application/* media type mt (0 when
// it is not acceptable), and whether a range named mt itself.
func acceptQuality(accept, mt string) (q float64, exact bool) {
	specificity := 0 // of the range that gave q: 3 the type itself, 2 application/*, 1 */*
	for part := range strings.SplitSeq(accept, ",") {
		rng, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		s := 0
		switch rng {
		case mt:
			s = 3
		case "application/*":
			s = 2
		case "*/*":
			s = 1
		}
		if s == 0 || s < specificity {
			continue
		}
		rq := 1.0
		if v, ok := params["q"]; ok {
			rq, err = strconv.ParseFloat(v, 64)
			if err != nil || rq < 0 || rq > 1 {
				continue
			}
		}
		if s > specificity || rq > q {
			q = rq
		}
		specificity = s
	}
	return q, specificity == 3
}

// rawParams are the GraphQL-over-HTTP request parameters, still undecoded, so that a
// wrong type is a clear 400 rather than a decoder message.
type rawParams struct {
	Query         json.RawMessage
	OperationName json.RawMessage
	Variables     json.RawMessage
	Extensions    json.RawMessage
	// DocumentID names a persisted document (GraphQL over HTTP's persisted documents).
	DocumentID json.RawMessage
}

func decodeString(raw json.RawMessage, required bool, what string) (string, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		if required {
			return "", errors.New(what + " is required")
		}
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New(what + " must be a string")
	}
	return s, nil
}

// typedNumbers replaces the json.Numbers in a decoded value with int64 (whole numbers) or
// float64. Left as json.Number (a string kind), gqlparser would accept {"name": 42} for a
// String variable; as float64 alone, gqlgen would refuse {"first": 10} for an Int.
func typedNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = typedNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = typedNumbers(e)
		}
	}
	return v
}

func decodeObject(raw json.RawMessage, what string) (map[string]any, error) {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, errors.New(what + " must be a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New(what + " must be one JSON object")
	}
	typedNumbers(m)
	return m, nil
}

func (p rawParams) params(r *http.Request) (*graphql.RawParams, error) {
	ext, err := decodeObject(p.Extensions, "extensions")
	if err != nil {
		return nil, err
	}
	docID, err := decodeString(p.DocumentID, false, "documentId")
	if err != nil {
		return nil, err
	}
	if ext, err = withDocumentID(ext, docID); err != nil {
		return nil, err
	}
	// A request that names a persisted document may leave its text out.
	q, err := decodeString(p.Query, ext["persistedQuery"] == nil, "query")
	if err != nil {
		return nil, err
	}
	op, err := decodeString(p.OperationName, false, "operationName")
	if err != nil {
		return nil, err
	}
	vars, err := decodeObject(p.Variables, "variables")
	if err != nil {
		return nil, err
	}
	return &graphql.RawParams{Query: q, OperationName: op, Variables: vars, Extensions: ext, Headers: r.Header}, nil
}

// readRequest extracts the GraphQL parameters from a GET query string or a POST body.
func (t httpTransport) readRequest(w http.ResponseWriter, r *http.Request) (*graphql.RawParams, error) {
	var raw rawParams
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		for name, value := range q {
			for _, v := range value {
				if !utf8.ValidString(v) {
					return nil, badRequest("the %s parameter is not valid UTF-8", name)
				}
			}
		}
		for name, dst := range map[string]*json.RawMessage{"query": &raw.Query, "operationName": &raw.OperationName, "documentId": &raw.DocumentID} {
			if q.Has(name) {
				b, _ := json.Marshal(q.Get(name))
				*dst = b
			}
		}
		raw.Variables = json.RawMessage(q.Get("variables"))
		raw.Extensions = json.RawMessage(q.Get("extensions"))
		if err := checkRawJSON("variables", raw.Variables); err != nil {
			return nil, err
		}
	} else {
		mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != mediaJSON {
			return nil, &requestError{http.StatusUnsupportedMediaType, codeBadRequest, "send the request as application/json (or multipart/form-data for uploads)"}
		}
		if cs := params["charset"]; cs != "" && !strings.EqualFold(cs, "utf-8") {
			return nil, &requestError{http.StatusUnsupportedMediaType, codeBadRequest, "the request body must be UTF-8"}
		}
		if r.ContentLength > t.maxBody {
			// Declared too large: refuse before reading any of it.
			return nil, &requestError{http.StatusRequestEntityTooLarge, codePayloadTooLarge, errTooLargeBody(t.maxBody).Error()}
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, t.maxBody))
		if err != nil {
			return nil, readError(err)
		}
		if raw, err = decodeBody("request body", body); err != nil {
			return nil, err
		}
	}
	p, err := raw.params(r)
	if err != nil {
		return nil, badRequest("%v", err)
	}
	return p, nil
}

// Do answers one GraphQL-over-HTTP request.
func (t httpTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	accept := r.Header.Get("Accept")
	media := responseMedia(accept)
	a := answer{media: media, incremental: incrementalAccepted(accept, media), onlyParts: media == ""}
	if media == "" {
		if !a.incremental {
			writeRequestError(w, mediaJSON, http.StatusNotAcceptable, codeNotAcceptable,
				"accept application/graphql-response+json or application/json")
			return
		}
		// Refusals are JSON all the same, as a 406 is: they are no result to split in parts.
		media, a.media = mediaJSON, mediaJSON
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", allowedMethods)
		writeRequestError(w, media, http.StatusMethodNotAllowed, codeBadRequest,
			"send GraphQL requests with GET (queries only) or POST; "+noSingleConnection)
		return
	}
	start := graphql.Now()
	params, err := t.readRequest(w, r)
	if err != nil {
		writeDecodeError(w, media, err)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, a, exec, params)
}

// answer is how a request is answered: media is the JSON media type of its responses and
// refusals; incremental says whether the client takes a multipart/mixed response with
// its deferred fragments in later parts (and onlyParts that it takes nothing else).
type answer struct {
	media       string
	incremental bool
	onlyParts   bool
}

// execute runs a request's operation and writes the response.
func execute(w http.ResponseWriter, r *http.Request, a answer, exec graphql.GraphExecutor, params *graphql.RawParams) {
	ctx := r.Context()
	media := a.media
	if a.incremental {
		ctx = context.WithValue(ctx, incrementalKey{}, true)
	}
	opCtx, gqlErrs := exec.CreateOperationContext(ctx, params)
	if gqlErrs != nil {
		// Parse, validation and variable errors: 200 under application/json (clients of
		// that type read errors from the body), 400 under graphql-response+json.
		status := http.StatusOK
		if media == mediaGraphQLResponse {
			status = http.StatusBadRequest
		}
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlErrs)
		writeJSON(w, media, status, requestErrorBody{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	op := opCtx.Operation
	if r.Method == http.MethodGet && op != nil && op.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		writeRequestError(w, media, http.StatusMethodNotAllowed, codeBadRequest,
			"GET only runs queries; send "+string(op.Operation)+" operations with POST")
		return
	}
	if op != nil && op.Operation == ast.Subscription {
		writeRequestError(w, media, http.StatusBadRequest, codeBadRequest,
			"subscriptions need a WebSocket or SSE connection")
		return
	}
	// The planner may write the response into a buffer an earlier response gave back;
	// it goes back once written.
	ctx, release := resolvers.LendBuffers(ctx)
	defer release()
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	resp := responses(ctx)
	switch {
	case resp == nil:
		// The client went away before the operation started: nobody to answer.
		return
	case refusedOverloaded(ctx):
		// Nothing ran: a request error, with the Retry-After retryAfterHeader adds.
		writeJSON(w, media, http.StatusServiceUnavailable, requestErrorBody{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	case a.incremental && (hasNext(resp) || a.onlyParts):
		writeIncremental(ctx, r.Context(), w, exec, responses, resp)
		return
	}
	writeResponse(w, media, resp)
}

// requestErrorBody is a response to a request that never executed: it has no data entry.
type requestErrorBody struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func writeRequestError(w http.ResponseWriter, media string, status int, code, msg string) {
	writeJSON(w, media, status, requestErrorBody{Errors: gqlerror.List{{
		Message:    msg,
		Extensions: map[string]any{"code": code, "requestId": w.Header().Get(headerRequestID)},
	}}})
}

// writeResponse writes an executed operation's response. The data is already JSON from
// the executor, so it is copied as is: json.Marshal would re-scan and compact it, which
// costs more than the execution itself for a large map.
func writeResponse(w http.ResponseWriter, media string, resp *graphql.Response) {
	rest := *resp
	rest.Data = nil
	tail, err := json.Marshal(struct {
		Errors     gqlerror.List  `json:"errors,omitempty"`
		Extensions map[string]any `json:"extensions,omitempty"`
	}{rest.Errors, rest.Extensions})
	if err != nil {
		writeJSON(w, media, http.StatusInternalServerError, nil)
		return
	}
	data := resp.Data
	if data == nil {
		data = json.RawMessage("null")
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"data":`)
	_, _ = w.Write(data)
	if len(tail) > 2 {
		_, _ = io.WriteString(w, ",")
		_, _ = w.Write(tail[1:])
		return
	}
	_, _ = io.WriteString(w, "}")
}

func writeJSON(w http.ResponseWriter, media string, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)
	}
	w.Header().Set("Content-Type", media+"; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

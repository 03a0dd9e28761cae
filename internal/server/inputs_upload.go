package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"

	"github.com/literaryai/ensemble/internal/errs"
)

// uploadTransport serves GraphQL multipart requests (the graphql-multipart-request-spec:
// an "operations" part, a "map" part naming where each file goes, then the files). It
// replaces gqlgen's MultipartForm transport, which answers every malformed request with
// a 422 and no error code, decodes the operations without seeing lone surrogates, and
// panics on a map path that does not fit the variables. Here every refusal has the
// GraphQL error shape and a code, and the operations pass the same raw checks as a JSON
// body. Files are read into memory: the documents service reads an upload whole anyway.
type uploadTransport struct {
	// maxBody bounds the whole request: the files plus the operations and map parts.
	maxBody int64
}

var _ graphql.Transport = uploadTransport{}

func (uploadTransport) Supports(r *http.Request) bool {
	if r.Header.Get("Upgrade") != "" || r.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "multipart/form-data"
}

// requestError is a refusal of a request before it reaches GraphQL.
type requestError struct {
	status int
	code   string
	msg    string
}

func (e *requestError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &requestError{status: http.StatusBadRequest, code: codeBadRequest, msg: fmt.Sprintf(format, args...)}
}

func (t uploadTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r.Header.Get("Accept"))
	if media == "" {
		writeRequestError(w, mediaJSON, http.StatusNotAcceptable, codeNotAcceptable,
			"accept application/graphql-response+json or application/json")
		return
	}
	start := graphql.Now()
	params, err := readUpload(w, r, t.maxBody)
	if err != nil {
		writeDecodeError(w, media, err)
		return
	}
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	execute(w, r, answer{media: media}, exec, params)
}

// writeDecodeError answers a request that could not be read: BAD_USER_INPUT for a value
// refused at the input boundary, otherwise the request error's own status and code.
func writeDecodeError(w http.ResponseWriter, media string, err error) {
	var invalid *errs.InvalidError
	if errors.As(err, &invalid) {
		writeInputError(w, media, invalid)
		return
	}
	var re *requestError
	if errors.As(err, &re) {
		writeRequestError(w, media, re.status, re.code, re.msg)
		return
	}
	writeRequestError(w, media, http.StatusBadRequest, codeBadRequest, err.Error())
}

// readUpload reads a multipart GraphQL request into its parameters, the files set into
// the variables where the map says.
func readUpload(w http.ResponseWriter, r *http.Request, maxBody int64) (*graphql.RawParams, error) {
	if r.ContentLength > maxBody {
		return nil, &requestError{http.StatusRequestEntityTooLarge, codePayloadTooLarge, errTooLargeBody(maxBody).Error()}
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, badRequest("the body is not a multipart/form-data request: %v", err)
	}
	operations, err := formPart(mr, "operations")
	if err != nil {
		return nil, err
	}
	raw, err := decodeBody("operations", operations)
	if err != nil {
		return nil, err
	}
	params, err := raw.params(r)
	if err != nil {
		return nil, badRequest("operations: %v", err)
	}
	if params.Variables == nil {
		params.Variables = map[string]any{}
	}
	mapping, err := formPart(mr, "map")
	if err != nil {
		return nil, err
	}
	files := map[string][]string{}
	if err := json.Unmarshal(mapping, &files); err != nil {
		return nil, badRequest("the map part must be a JSON object of file keys to lists of variable paths")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, partError(err, files)
		}
		key := part.FormName()
		paths, ok := files[key]
		if !ok {
			return nil, badRequest("the map names no file %q", key)
		}
		delete(files, key)
		content, err := io.ReadAll(part)
		if err != nil {
			return nil, readError(err)
		}
		for _, path := range paths {
			up := graphql.Upload{File: bytes.NewReader(content), Size: int64(len(content)),
				Filename: part.FileName(), ContentType: part.Header.Get("Content-Type")}
			if err := setUpload(params.Variables, path, up); err != nil {
				return nil, err
			}
		}
	}
	if len(files) > 0 {
		missing := make([]string, 0, len(files))
		for key := range files {
			missing = append(missing, strconv.Quote(key))
		}
		slices.Sort(missing)
		return nil, badRequest("the map names files the request does not hold: %s", strings.Join(missing, ", "))
	}
	return params, nil
}

// formPart reads the next part, which must be the form field name, whole (bounded like a
// JSON request body).
func formPart(mr *multipart.Reader, name string) ([]byte, error) {
	part, err := mr.NextPart()
	if err != nil {
		return nil, badRequest("the %s part must come first: %v", name, err)
	}
	if part.FormName() != name {
		return nil, badRequest("expected the %s part, got %q", name, part.FormName())
	}
	data, err := io.ReadAll(io.LimitReader(part, maxJSONBody+1))
	if err != nil {
		return nil, readError(err)
	}
	if len(data) > maxJSONBody {
		return nil, &requestError{http.StatusRequestEntityTooLarge, codePayloadTooLarge,
			fmt.Sprintf("the %s part is over the limit of %d bytes", name, maxJSONBody)}
	}
	return data, nil
}

// readError turns a failure to read the body into a request error.
func readError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &requestError{http.StatusRequestEntityTooLarge, codePayloadTooLarge, errTooLargeBody(tooBig.Limit).Error()}
	}
	return badRequest("could not read the request body: %v", err)
}

// partError explains a part whose headers cannot be read. Go's MIME reader refuses a
// header holding a control character, and a file name is where one comes from: the
// client's input, answered as such, at the file's variable when only one is left.
func partError(err error, files map[string][]string) error {
	var proto textproto.ProtocolError
	if !errors.As(err, &proto) {
		return readError(err)
	}
	field := "file"
	if len(files) == 1 {
		for _, paths := range files {
			if len(paths) > 0 {
				field = paths[0]
			}
		}
	}
	return errs.Invalid(field, "the part's headers are malformed; a file name must not contain control characters such as NUL")
}

// setUpload puts an upload at path ("variables.file", "variables.input.files.2") of the
// variables, where the operations left a null. A path that does not lead to a null in
// the variables is the client's mistake, not a panic.
func setUpload(vars map[string]any, path string, up graphql.Upload) error {
	rest, ok := strings.CutPrefix(path, "variables.")
	if !ok {
		return badRequest("map path %q must start with \"variables.\"", path)
	}
	names := strings.Split(rest, ".")
	var at any = vars
	for i, name := range names {
		last := i == len(names)-1
		switch c := at.(type) {
		case map[string]any:
			v, ok := c[name]
			if !ok {
				return badRequest("map path %q names no variable", path)
			}
			if last {
				if v != nil {
					return badRequest("map path %q must lead to a null", path)
				}
				c[name] = up
				return nil
			}
			at = v
		case []any:
			n, err := strconv.Atoi(name)
			if err != nil || n < 0 || n >= len(c) {
				return badRequest("map path %q names no list element", path)
			}
			if last {
				if c[n] != nil {
					return badRequest("map path %q must lead to a null", path)
				}
				c[n] = up
				return nil
			}
			at = c[n]
		default:
			return badRequest("map path %q names no variable", path)
		}
	}
	return badRequest("map path %q names no variable", path)
}

// decodeBody reads a JSON request body (or the operations part of an upload) into its
// parameters, still undecoded. JSON text must be UTF-8 (RFC 8259): bytes that are not
// are a malformed request. A lone surrogate escape is well-formed JSON but no character,
// so it is the client's input, refused at its path.
func decodeBody(what string, body []byte) (rawParams, error) {
	if !utf8.Valid(body) {
		// encoding/json would silently turn bad bytes into U+FFFD.
		return rawParams{}, badRequest("the %s is not valid UTF-8", what)
	}
	if err := checkRawJSON("", body); err != nil {
		return rawParams{}, err
	}
	// Into a map, not the struct: encoding/json matches struct fields ignoring case, and
	// the parameter names are case-sensitive. Unmarshal also refuses anything after the
	// object.
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return rawParams{}, badRequest("the %s is not a JSON object", what)
	}
	return rawParams{
		Query:         fields["query"],
		OperationName: fields["operationName"],
		Variables:     fields["variables"],
		Extensions:    fields["extensions"],
		DocumentID:    fields["documentId"],
	}, nil
}

package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

const uploadOp = `mutation($file: Upload!, $title: String) { uploadDocument(file: $file, title: $title) { id } }`

// multipartBody writes a GraphQL multipart request by hand, so that part headers can hold
// what Go's multipart writer would escape.
func multipartBody(operations, mapping, fileHeader, content string) string {
	var b strings.Builder
	b.WriteString("--B\r\nContent-Disposition: form-data; name=\"operations\"\r\n\r\n" + operations + "\r\n")
	b.WriteString("--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n" + mapping + "\r\n")
	if fileHeader != "" {
		b.WriteString("--B\r\n" + fileHeader + "\r\nContent-Type: text/plain\r\n\r\n" + content + "\r\n")
	}
	b.WriteString("--B--\r\n")
	return b.String()
}

func sendMultipart(t *testing.T, c *testkit.Client, body string) (int, map[string]json.RawMessage, []testkit.Error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.URL, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
	req.Header.Set("Apollo-Require-Preflight", "true")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct {
		Errors []testkit.Error
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &out) != nil || json.Unmarshal(raw, &fields) != nil {
		t.Fatalf("status %d, not JSON: %.300s", resp.StatusCode, raw)
	}
	return resp.StatusCode, fields, out.Errors
}

// TestUploadInputs: file names and operations of uploads pass the input boundary, and a
// malformed multipart request answers a GraphQL error with a code, never a bare 422 or
// a panic.
func TestUploadInputs(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "uploader")
	ops := `{"query":"` + strings.ReplaceAll(uploadOp, `"`, `\"`) + `","variables":{"file":null}}`
	fileMap := `{"0":["variables.file"]}`
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"file name with a raw NUL", multipartBody(ops, fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"a\x00b.txt\"", "words"),
			400, "BAD_USER_INPUT", "variables.file"},
		{"file name with an encoded NUL", multipartBody(ops, fileMap, "Content-Disposition: form-data; name=\"0\"; filename*=UTF-8''a%00b.txt", "words"),
			200, "BAD_USER_INPUT", "file"},
		{"file name not UTF-8", multipartBody(ops, fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"caf\xe9.txt\"", "words"),
			200, "BAD_USER_INPUT", "file"},
		{"title with a NUL", multipartBody(`{"query":"`+strings.ReplaceAll(uploadOp, `"`, `\"`)+`","variables":{"file":null,"title":"a\u0000b"}}`,
			fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"), 200, "BAD_USER_INPUT", "title"},
		{"title with a lone surrogate", multipartBody(`{"query":"`+strings.ReplaceAll(uploadOp, `"`, `\"`)+`","variables":{"file":null,"title":"a\udc00b"}}`,
			fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"), 400, "BAD_USER_INPUT", "variables.title"},
		{"operations not UTF-8", multipartBody(`{"query":"`+strings.ReplaceAll(uploadOp, `"`, `\"`)+`","variables":{"file":null,"title":"\xff"}}`,
			fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"), 400, "BAD_REQUEST", ""},
		{"operations not JSON", multipartBody(`{nope`, fileMap, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"),
			400, "BAD_REQUEST", ""},
		{"map not JSON", multipartBody(ops, `[1]`, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"),
			400, "BAD_REQUEST", ""},
		{"map path into a string", multipartBody(`{"query":"`+strings.ReplaceAll(uploadOp, `"`, `\"`)+`","variables":{"file":null,"title":"t"}}`,
			`{"0":["variables.title.3"]}`, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"), 400, "BAD_REQUEST", ""},
		{"map path past a list", multipartBody(ops, `{"0":["variables.file.7"]}`, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"),
			400, "BAD_REQUEST", ""},
		{"map path outside the variables", multipartBody(ops, `{"0":["query"]}`, "Content-Disposition: form-data; name=\"0\"; filename=\"a.txt\"", "words"),
			400, "BAD_REQUEST", ""},
		{"file the map does not name", multipartBody(ops, fileMap, "Content-Disposition: form-data; name=\"1\"; filename=\"a.txt\"", "words"),
			400, "BAD_REQUEST", ""},
		{"file missing", multipartBody(ops, fileMap, "", ""), 400, "BAD_REQUEST", ""},
		{"parts out of order", "--B\r\nContent-Disposition: form-data; name=\"map\"\r\n\r\n{}\r\n--B--\r\n", 400, "BAD_REQUEST", ""},
		{"no parts", "--B--\r\n", 400, "BAD_REQUEST", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, errs := sendMultipart(t, c, tc.body)
			if status != tc.wantStatus || len(errs) != 1 || errs[0].Code() != tc.wantCode {
				t.Fatalf("status %d, errors %+v; want %d %s", status, errs, tc.wantStatus, tc.wantCode)
			}
			if got, _ := errs[0].Extensions["field"].(string); got != tc.wantField {
				t.Fatalf("field = %q, want %q (%s)", got, tc.wantField, errs[0].Message)
			}
			if _, ok := body["data"]; ok && status != http.StatusOK {
				t.Fatalf("a refused request has a data entry: %v", body)
			}
		})
	}
	if n := s.Count(t, "documents"); n != 0 {
		t.Fatalf("refused uploads stored %d documents", n)
	}
	// A well-formed upload with a file name in RFC 2231 form still works.
	status, body, errs := sendMultipart(t, c, multipartBody(ops, fileMap,
		"Content-Disposition: form-data; name=\"0\"; filename*=UTF-8''caf%C3%A9.txt", "Some words of a book."))
	if status != http.StatusOK || len(errs) != 0 || !bytes.Contains(body["data"], []byte(`"id"`)) {
		t.Fatalf("upload: %d %+v %s", status, errs, body["data"])
	}
}

// TestUploadEPUBBomb: an EPUB whose chapters each pass the zip checks but together expand
// like a bomb is refused as too large, and nothing is stored.
func TestUploadEPUBBomb(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "bomber")
	chapters := make([]testkit.Chapter, 64)
	for i := range chapters {
		// Just under the size below which a zip entry's ratio is not checked.
		chapters[i] = testkit.Chapter{Title: "Chapter", Text: strings.Repeat("All work and no play. ", (1<<20-400)/22)}
	}
	epub := testkit.EPUB(t, "Bomb", "Nobody", chapters...)
	r := c.Upload(t, uploadOp, nil, testkit.Upload{Filename: "bomb.epub", Content: epub})
	if code := r.Code(t); code != "PAYLOAD_TOO_LARGE" || !strings.Contains(r.Errors[0].Message, "expand more than") {
		t.Fatalf("%s: %s", code, r.Errors[0].Message)
	}
	if n := s.Count(t, "documents") + s.Count(t, "document_contents"); n != 0 {
		t.Fatalf("a refused upload stored %d rows", n)
	}
}

package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// from returns an HTTP client whose requests come from the loopback address ip: Linux
// routes all of 127.0.0.0/8 to loopback, so tests can play several client addresses.
func from(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// result is a GraphQL response with its HTTP status and headers.
type result struct {
	status int
	header http.Header
	Data   json.RawMessage `json:"data"`
	Errors []testkit.Error `json:"errors"`
}

// code is the first error's code, or "" without errors.
func (r result) code() string {
	if len(r.Errors) == 0 {
		return ""
	}
	return r.Errors[0].Code()
}

// gql posts a GraphQL request through c, with the token when one is given and any more
// headers as name, value pairs.
func gql(t *testing.T, c *http.Client, s *testkit.Server, token, query string, vars map[string]any, header ...string) result {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("not JSON (status %d): %s", resp.StatusCode, raw)
	}
	return r
}

const loginQuery = `mutation($l: String!, $p: String!) { login(input: {login: $l, password: $p}) { accessToken } }`

func login(t *testing.T, c *http.Client, s *testkit.Server, user, password string, header ...string) result {
	t.Helper()
	return gql(t, c, s, "", loginQuery, map[string]any{"l": user, "p": password}, header...)
}

// checkRateLimited fails unless r was refused as RATE_LIMITED with a retry time in
// extensions.retryAfter and, the same, in the Retry-After header.
func checkRateLimited(t *testing.T, r result) {
	t.Helper()
	if r.code() != "RATE_LIMITED" {
		t.Fatalf("want RATE_LIMITED, got %d %+v", r.status, r.Errors)
	}
	after, _ := r.Errors[0].Extensions["retryAfter"].(float64)
	header, err := strconv.Atoi(r.header.Get("Retry-After"))
	if after < 1 || err != nil || header < int(after) {
		t.Fatalf("retryAfter %v, Retry-After %q", r.Errors[0].Extensions["retryAfter"], r.header.Get("Retry-After"))
	}
}

// TestSignInThrottle: 300 wrong passwords in a row from one address check a handful and
// refuse the rest as RATE_LIMITED with Retry-After, while the victim signs in from
// another address at once. The lockout holds for the attacker's address even with the
// right password.
func TestSignInThrottle(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	s.Register(t, "victim")
	attacker, victim := from("127.0.0.2"), from("127.0.0.3")
	counts := map[string]int{}
	var limited result
	for i := range 300 {
		r := login(t, attacker, s, "victim", fmt.Sprintf("guess-number-%d", i))
		counts[r.code()]++
		if r.code() == "RATE_LIMITED" {
			limited = r
		}
	}
	if counts["UNAUTHENTICATED"] > 8 || counts["RATE_LIMITED"] < 292 || len(counts) != 2 {
		t.Fatalf("300 wrong passwords answered %v: want at most a few checked, the rest RATE_LIMITED", counts)
	}
	checkRateLimited(t, limited)
	if r := login(t, attacker, s, "victim", "password-victim"); r.code() != "RATE_LIMITED" {
		t.Fatalf("the right password from the attacker's address: %+v", r.Errors)
	}
	if r := login(t, victim, s, "VICTIM", "password-victim"); r.code() != "" {
		t.Fatalf("the victim from another address: %+v", r.Errors)
	}
}

// TestDeleteAccountIsNoPasswordOracle: someone holding a stolen access token cannot
// guess the password through deleteAccount faster than through login.
func TestDeleteAccountIsNoPasswordOracle(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	_, sess := s.Register(t, "owner")
	const q = `mutation($p: String!) { deleteAccount(password: $p) }`
	thief := from("127.0.0.2")
	counts := map[string]int{}
	for i := range 20 {
		counts[gql(t, thief, s, sess.AccessToken, q, map[string]any{"p": fmt.Sprintf("guess-%d", i)}).code()]++
	}
	if counts["UNAUTHENTICATED"] > 7 || counts["RATE_LIMITED"] < 13 {
		t.Fatalf("20 wrong passwords to deleteAccount answered %v", counts)
	}
	if n := s.Count(t, "users"); n != 1 {
		t.Fatalf("%d users after wrong passwords", n)
	}
}

// TestSignInBehindTrustedProxy: X-Forwarded-For names the client only when a trusted
// proxy sends it, read from the right, so a client cannot spoof its way out.
func TestSignInBehindTrustedProxy(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "TRUSTED_PROXIES=127.0.0.1,10.0.0.0/8")
	s.Register(t, "victim")
	proxy, direct := from("127.0.0.1"), from("127.0.0.2")
	for i := range 6 {
		// Through the proxy chain 10.1.2.3 -> 127.0.0.1, whatever the client prepends.
		xff := fmt.Sprintf("192.0.2.%d, 198.51.100.7, 10.1.2.3", i)
		if r := login(t, proxy, s, "victim", "wrong password", "X-Forwarded-For", xff); r.code() != "UNAUTHENTICATED" {
			t.Fatalf("failure %d: %+v", i+1, r.Errors)
		}
	}
	r := login(t, proxy, s, "victim", "wrong password", "X-Forwarded-For", "203.0.113.1, 198.51.100.7")
	checkRateLimited(t, r)
	if r := login(t, proxy, s, "victim", "password-victim", "X-Forwarded-For", "198.51.100.8"); r.code() != "" {
		t.Fatalf("the victim behind the proxy: %+v", r.Errors)
	}
	// A peer that is not a trusted proxy counts as itself, whatever it forwards.
	for i := range 6 {
		login(t, direct, s, "victim", "wrong password", "X-Forwarded-For", fmt.Sprintf("192.0.2.%d", 100+i))
	}
	if r := login(t, direct, s, "victim", "password-victim", "X-Forwarded-For", "198.51.100.9"); r.code() != "RATE_LIMITED" {
		t.Fatalf("an untrusted peer escaped its lockout through X-Forwarded-For: %+v", r.Errors)
	}
}

// TestRegistrationThrottle: one address registers a few accounts an hour, others are
// unaffected.
func TestRegistrationThrottle(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "RATE_LIMIT_REGISTRATIONS_PER_HOUR=3")
	const q = `mutation($u: String!) { register(input: {username: $u, email: "x", password: "long enough password"}) { accessToken } }`
	farm := from("127.0.0.2")
	for i := range 3 {
		// Invalid input still counts: the limit is on attempts.
		if r := gql(t, farm, s, "", q, map[string]any{"u": fmt.Sprintf("bot%d", i)}); r.code() != "BAD_USER_INPUT" {
			t.Fatalf("registration %d: %+v", i+1, r.Errors)
		}
	}
	checkRateLimited(t, gql(t, farm, s, "", q, map[string]any{"u": "bot3"}))
	if r := gql(t, from("127.0.0.3"), s, "", q, map[string]any{"u": "human"}); r.code() != "BAD_USER_INPUT" {
		t.Fatalf("another address: %+v", r.Errors)
	}
}

// TestTokenEndpointAnswers429: the OAuth2 endpoint shares the sign-in and refresh
// budgets and refuses beyond them with 429, Retry-After and an OAuth2 error body.
func TestTokenEndpointAnswers429(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "RATE_LIMIT_SIGNIN_PER_MINUTE=2", "RATE_LIMIT_REFRESH_PER_MINUTE=1")
	c := from("127.0.0.2")
	endpoint := s.URL + "/api/v1/auth/token"
	grant := func(form url.Values) (int, map[string]any, http.Header) {
		t.Helper()
		resp, err := c.PostForm(endpoint, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body, resp.Header
	}
	password := url.Values{"grant_type": {"password"}, "username": {"nobody"}, "password": {"wrong password"}}
	if status, body, _ := grant(password); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("first attempt: %d %v", status, body)
	}
	if r := login(t, c, s, "nobody", "wrong password"); r.code() != "UNAUTHENTICATED" {
		t.Fatalf("second attempt, through GraphQL: %+v", r.Errors)
	}
	status, body, h := grant(password)
	if status != http.StatusTooManyRequests || body["error"] != "temporarily_unavailable" || h.Get("Retry-After") == "" {
		t.Fatalf("third attempt: %d %v Retry-After %q", status, body, h.Get("Retry-After"))
	}
	refresh := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"not a token"}}
	if status, body, _ := grant(refresh); status != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("first refresh: %d %v", status, body)
	}
	if status, _, h := grant(refresh); status != http.StatusTooManyRequests || h.Get("Retry-After") == "" {
		t.Fatalf("second refresh: %d", status)
	}
	checkRateLimited(t, gql(t, c, s, "", `mutation { refreshToken(token: "not a token") { accessToken } }`, nil))
}

// TestOnePasswordFieldPerOperation: aliases cannot make one request into many password
// hashes; such an operation is refused before any of it runs.
func TestOnePasswordFieldPerOperation(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	s.Register(t, "alias")
	tests := []struct {
		name, query string
		code        string
	}{
		{"one login", `mutation { login(input: {login: "alias", password: "password-alias"}) { accessToken } }`, ""},
		{"two login aliases", `mutation {
			a: login(input: {login: "alias", password: "password-alias"}) { accessToken }
			b: login(input: {login: "alias", password: "guess"}) { accessToken } }`, "BAD_USER_INPUT"},
		{"login and register", `mutation {
			login(input: {login: "alias", password: "password-alias"}) { accessToken }
			register(input: {username: "other", email: "o@example.com", password: "password-other"}) { accessToken } }`, "BAD_USER_INPUT"},
		{"through fragments", `mutation { ...A ... on Mutation { ...B } }
			fragment A on Mutation { a: login(input: {login: "alias", password: "x"}) { accessToken } }
			fragment B on Mutation { b: login(input: {login: "alias", password: "y"}) { accessToken } }`, "BAD_USER_INPUT"},
		{"one fragment spread twice", `mutation { ...A ...A }
			fragment A on Mutation { login(input: {login: "alias", password: "password-alias"}) { accessToken } }`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := gql(t, from(fmt.Sprintf("127.0.1.%d", len(tc.name))), s, "", tc.query, nil)
			if r.code() != tc.code {
				t.Fatalf("code %q, want %q: %+v", r.code(), tc.code, r.Errors)
			}
			if tc.code != "" && (len(r.Errors) != 1 || (len(r.Data) > 0 && string(r.Data) != "null")) {
				t.Fatalf("refused, yet it ran: %s %+v", r.Data, r.Errors)
			}
		})
	}
	if n := s.Count(t, "users"); n != 1 {
		t.Fatalf("%d users: a refused operation registered one", n)
	}
}

// TestPasswordHashBound: with one hash at a time and no time to wait, concurrent sign-ins
// beyond the one hashing are refused as RATE_LIMITED instead of queueing. (The bound
// itself is counted in internal/auth's TestHashGateBoundsConcurrentHashes.)
func TestPasswordHashBound(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "PASSWORD_HASH_CONCURRENCY=1", "PASSWORD_HASH_WAIT=1ms",
		"PASSWORD_HASH_MEMORY_KIB=65536", "PASSWORD_HASH_ITERATIONS=3")
	const n = 8
	codes := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			codes[i] = login(t, from(fmt.Sprintf("127.0.2.%d", i+1)), s, "nobody", "wrong password").code()
		})
	}
	wg.Wait()
	counts := map[string]int{}
	for _, c := range codes {
		counts[c]++
	}
	if counts["RATE_LIMITED"] == 0 || counts["UNAUTHENTICATED"] == 0 || len(counts) != 2 {
		t.Fatalf("%d concurrent sign-ins with one hash at a time: %v", n, counts)
	}
}

// TestCostBudget: operations spend their complexity from a budget per account, and per
// address without a token.
func TestCostBudget(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "RATE_LIMIT_COST_PER_MINUTE=10", "RATE_LIMIT_ANONYMOUS_COST_PER_MINUTE=5")
	_, sess := s.Register(t, "spender")
	c := from("127.0.0.2")
	var last result
	for range 20 {
		if last = gql(t, c, s, sess.AccessToken, `{ me { id username email } }`, nil); last.code() != "" {
			break
		}
	}
	checkRateLimited(t, last)
	// The budget is the account's, wherever it calls from.
	checkRateLimited(t, gql(t, from("127.0.0.3"), s, sess.AccessToken, `{ me { id username email } }`, nil))
	for range 10 {
		if last = gql(t, c, s, "", `{ __typename }`, nil); last.code() != "" {
			break
		}
	}
	checkRateLimited(t, last)
	if r := gql(t, from("127.0.0.3"), s, "", `{ __typename }`, nil); r.code() != "" {
		t.Fatalf("another address without a token: %+v", r.Errors)
	}
}

// TestSocketAndSubscriptionCaps: one user holds a bounded number of sockets, closed
// beyond it with 1013 (graphql-ws clients back off and retry), and a bounded number of
// subscriptions over all its sockets and SSE; what ends frees its place.
func TestSocketAndSubscriptionCaps(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "WS_MAX_SOCKETS_PER_USER=2", "MAX_SUBSCRIPTIONS_PER_USER=3")
	c, sess := s.Register(t, "watcher")
	eco := c.CreateEcosystem(t, "Longbourn")
	// The observatory answers at once, which shows the subscription is running.
	const observatory = `subscription($e: ID!) { observatory(ecosystemId: $e) { activeCharacters } }`
	vars := map[string]any{"e": eco}
	init := testkit.WSMessage{Type: "connection_init", Payload: json.RawMessage(`{"authorization":"Bearer ` + sess.AccessToken + `"}`)}

	first, second := s.Live(t, sess.AccessToken), s.Live(t, sess.AccessToken)
	third := s.DialWS(t, nil)
	third.Send(init)
	if code, reason := third.Closed(5 * time.Second); code != 1013 {
		t.Fatalf("third socket closed with %d %q, want 1013", code, reason)
	}
	_, other := s.Register(t, "neighbour")
	s.Live(t, other.AccessToken) // another user's sockets are their own

	subscribe := func(w *testkit.WS, id string) testkit.WSMessage {
		t.Helper()
		w.Subscribe(id, observatory, vars)
		m := w.Read(10 * time.Second)
		if m.ID != id {
			t.Fatalf("subscription %s answered %+v", id, m)
		}
		return m
	}
	for i, w := range []*testkit.WS{first, first, second} {
		if m := subscribe(w, strconv.Itoa(i+1)); m.Type != "next" {
			t.Fatalf("subscription %d: %s %s", i+1, m.Type, m.Payload)
		}
	}
	if m := subscribe(second, "4"); m.Type != "error" || !strings.Contains(string(m.Payload), "RATE_LIMITED") {
		t.Fatalf("fourth subscription: %s %s", m.Type, m.Payload)
	}
	if code := sseFirstError(t, s, sess.AccessToken, observatory, vars); code != "RATE_LIMITED" {
		t.Fatalf("a subscription over SSE beyond the cap: %q", code)
	}

	// Ending a subscription frees its place; closing a socket frees its place and its
	// subscriptions'.
	first.Send(testkit.WSMessage{ID: "1", Type: "complete"})
	n := 4
	eventually(t, func() bool {
		n++
		return subscribe(second, strconv.Itoa(n)).Type == "next"
	})
	_ = first.Conn.CloseNow()
	eventually(t, func() bool {
		w := s.DialWS(t, nil)
		w.Send(init)
		m, err := w.TryRead(5 * time.Second)
		return err == nil && m.Type == "connection_ack"
	})
}

// eventually polls ok until it holds, for effects the server applies once it notices a
// client went away.
func eventually(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("the condition never held")
}

// sseFirstError starts a subscription over SSE and returns the code of the first error
// it answers, or "" when it answers data.
func sseFirstError(t *testing.T, s *testkit.Server, token, query string, vars map[string]any) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(data), &r); err != nil {
			t.Fatalf("SSE data %s: %v", data, err)
		}
		return r.code()
	}
	t.Fatalf("the SSE stream ended without data: %v", sc.Err())
	return ""
}

// TestLimitsSharedThroughRedis: two instances on one Redis count against the same
// budgets and lockouts.
func TestLimitsSharedThroughRedis(t *testing.T) {
	t.Parallel()
	env := append(testkit.RedisEnv(t), "RATE_LIMIT_REGISTRATIONS_PER_HOUR=2")
	a := testkit.NewServer(t, env...)
	b := testkit.NewServerOn(t, a.DatabaseURL, env...)
	const q = `mutation($u: String!) { register(input: {username: $u, email: "x", password: "long enough password"}) { accessToken } }`
	farm := from("127.0.0.2")
	gql(t, farm, a, "", q, map[string]any{"u": "bot1"})
	gql(t, farm, b, "", q, map[string]any{"u": "bot2"})
	checkRateLimited(t, gql(t, farm, a, "", q, map[string]any{"u": "bot3"}))

	a.Register(t, "victim")
	attacker := from("127.0.0.3")
	for i := range 6 {
		login(t, attacker, []*testkit.Server{a, b}[i%2], "victim", "wrong password")
	}
	checkRateLimited(t, login(t, attacker, b, "victim", "password-victim"))
	checkRateLimited(t, login(t, attacker, a, "victim", "password-victim"))
	if r := login(t, from("127.0.0.4"), b, "victim", "password-victim"); r.code() != "" {
		t.Fatalf("the victim from another address: %+v", r.Errors)
	}
}

package server

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
)

// tokenEndpoint serves POST /api/v1/auth/token: the OAuth2 resource-owner password grant
// (RFC 6749 section 4.3) and the refresh grant (section 6), so that standard OAuth2
// clients can sign in.
func tokenEndpoint(svc *auth.Service, g *guard, logger func(*http.Request) func(string, ...any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if desc := readTokenForm(r); desc != "" {
			oauthError(w, http.StatusBadRequest, "invalid_request", desc)
			return
		}
		var (
			sess *auth.Session
			err  error
		)
		switch r.PostForm.Get("grant_type") {
		case "password":
			user, pass := r.PostForm.Get("username"), r.PostForm.Get("password")
			if user == "" || pass == "" {
				oauthError(w, http.StatusBadRequest, "invalid_request", "username and password are required")
				return
			}
			err = g.signIn(r.Context(), user, func(ctx context.Context) (err error) {
				sess, err = svc.Login(ctx, user, pass)
				return err
			})
		case "refresh_token":
			err = g.refresh(r.Context(), func(ctx context.Context) (err error) {
				sess, err = svc.Refresh(ctx, r.PostForm.Get("refresh_token"))
				return err
			})
		case "":
			oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
			return
		default:
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "use grant_type=password or refresh_token")
			return
		}
		var (
			invalid *errs.InvalidError
			limited *errs.RateLimitedError
		)
		switch {
		case errors.As(err, &limited):
			tooManyTokenRequests(w, limited)
			return
		case errors.Is(err, errs.ErrUnauthenticated), errors.As(err, &invalid):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "the credentials or refresh token are not valid")
			return
		case err != nil:
			logger(r)("token endpoint failed", "error", err)
			oauthError(w, http.StatusInternalServerError, "server_error", "internal error")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Pragma", "no-cache")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token":  sess.AccessToken,
			"token_type":    "Bearer",
			"expires_in":    int(time.Until(sess.ExpiresAt).Seconds()),
			"refresh_token": sess.RefreshToken,
		})
	}
}

// readTokenForm parses a token request's body into r.PostForm, or says what is wrong
// with it. The media type may carry a charset (UTF-8, the only one a form is decoded in
// here); no parameter may be sent twice (RFC 6749 section 3.1), so which of two grant
// types or passwords counts is never a guess; and values are text that PostgreSQL can
// store, checked as at the GraphQL input boundary.
func readTokenForm(r *http.Request) string {
	const wantType = "send an application/x-www-form-urlencoded body"
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return wantType
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return wantType + " in UTF-8"
	}
	if err := r.ParseForm(); err != nil {
		return "the body is not a readable form"
	}
	// Unknown parameters are ignored (section 3.2), so only these are read and checked.
	for _, name := range []string{"grant_type", "username", "password", "refresh_token", "scope"} {
		values := r.PostForm[name]
		if len(values) > 1 {
			return name + " is sent more than once"
		}
		if len(values) == 1 {
			if p := textProblem(values[0], maxTextBytes); p != "" {
				return name + " " + p
			}
		}
	}
	return ""
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

package server

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
)

// tokenEndpoint serves POST /api/v1/auth/token: the OAuth2 resource-owner password grant
// (RFC 6749 section 4.3) and the refresh grant (section 6), so that standard OAuth2
// clients can sign in.
func tokenEndpoint(svc *auth.Service, logger func(*http.Request) func(string, ...any)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			oauthError(w, http.StatusMethodNotAllowed, "invalid_request", "use POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			oauthError(w, http.StatusBadRequest, "invalid_request", "send an application/x-www-form-urlencoded body")
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
			sess, err = svc.Login(r.Context(), user, pass)
		case "refresh_token":
			sess, err = svc.Refresh(r.Context(), r.PostForm.Get("refresh_token"))
		case "":
			oauthError(w, http.StatusBadRequest, "invalid_request", "grant_type is required")
			return
		default:
			oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "use grant_type=password or refresh_token")
			return
		}
		var invalid *errs.InvalidError
		switch {
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

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
}

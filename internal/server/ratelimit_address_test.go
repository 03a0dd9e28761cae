package server

import (
	"net/http"
	"net/netip"
	"testing"
)

func TestClientAddress(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
	tests := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"a peer counts as itself", "198.51.100.4:5000", nil, "198.51.100.4"},
		{"an untrusted peer's header is ignored", "198.51.100.4:5000", []string{"203.0.113.9"}, "198.51.100.4"},
		{"through a trusted proxy", "192.0.2.1:443", []string{"203.0.113.9"}, "203.0.113.9"},
		{"the rightmost untrusted hop wins over what the client prepends", "192.0.2.1:443",
			[]string{"1.1.1.1, 203.0.113.9, 10.2.3.4"}, "203.0.113.9"},
		{"several headers read as one list", "192.0.2.1:443", []string{"1.1.1.1", "203.0.113.9, 10.2.3.4"}, "203.0.113.9"},
		{"a hop with a port", "192.0.2.1:443", []string{"203.0.113.9:4711"}, "203.0.113.9"},
		{"an unreadable hop stops at the proxy that wrote it", "192.0.2.1:443", []string{"203.0.113.9, garbage, 10.2.3.4"}, "10.2.3.4"},
		{"only proxies: the farthest", "192.0.2.1:443", []string{"10.9.9.9, 10.2.3.4"}, "10.9.9.9"},
		{"a trusted peer without the header", "10.1.1.1:80", nil, "10.1.1.1"},
		{"IPv6 counts by /64", "[2001:db8:1:2:3:4:5:6]:443", nil, "2001:db8:1:2::/64"},
		{"IPv4-mapped IPv6 is IPv4", "[::ffff:198.51.100.4]:443", nil, "198.51.100.4"},
		{"no address", "@", nil, "unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tc.remote, Header: http.Header{}}
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := addressKey(clientAddress(r, trusted)); got != tc.want {
				t.Fatalf("client %q, want %q", got, tc.want)
			}
		})
	}
}

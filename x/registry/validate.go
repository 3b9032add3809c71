package registry

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Hard, state-independent bounds on what a message may carry.
const (
	MaxEndpoints     = 4
	MaxEndpointLen   = 256
	MaxModels        = 16
	MaxModelLen      = 64
	MaxRegionLen     = 32
	MaxVersionLen    = 32
	MaxKeyBytes      = 4096 // the largest registered public key (SLH-DSA hybrids) is far below
	maxDNSNameLen    = 253
	maxDNSLabelLen   = 63
	maxMultiaddrPart = 8
)

// validateEndpoint accepts host:port (a DNS name, an IPv4 address or a bracketed IPv6
// address; port 1-65535) or a multiaddr built from a fixed set of protocols (see
// validateMultiaddr). It is pure syntax: reachability is the peers' business.
func validateEndpoint(s string) error {
	if len(s) == 0 {
		return ErrInvalidEndpoint.Wrap("empty endpoint")
	}
	if len(s) > MaxEndpointLen {
		return ErrFieldTooLarge.Wrapf("endpoint: %d bytes, at most %d", len(s), MaxEndpointLen)
	}
	if s[0] == '/' {
		return validateMultiaddr(s)
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return ErrInvalidEndpoint.Wrapf("%q: want host:port or a multiaddr: %v", s, err)
	}
	if err := validatePort(port); err != nil {
		return ErrInvalidEndpoint.Wrapf("%q: %v", s, err)
	}
	if strings.Contains(host, ":") { // IPv6, bracketed in s (SplitHostPort demands it)
		if _, err := parseIP(host, true); err != nil {
			return ErrInvalidEndpoint.Wrapf("%q: %v", s, err)
		}
		return nil
	}
	if looksNumeric(host) {
		if _, err := parseIP(host, false); err != nil {
			return ErrInvalidEndpoint.Wrapf("%q: %v", s, err)
		}
		return nil
	}
	if err := validateDNSName(host); err != nil {
		return ErrInvalidEndpoint.Wrapf("%q: %v", s, err)
	}
	return nil
}

type endpointError string

func (e endpointError) Error() string { return string(e) }

func validatePort(p string) error {
	if p == "" || len(p) > 5 || (p[0] == '0') {
		return endpointError("port must be 1-65535 without leading zeros")
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return endpointError("port must be 1-65535 without leading zeros")
	}
	return nil
}

func parseIP(s string, v6 bool) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return a, endpointError("bad IP address " + strconv.Quote(s))
	}
	if a.Zone() != "" {
		return a, endpointError("IPv6 zones are local to a host")
	}
	if v6 != a.Is6() || a.Is4In6() {
		if v6 {
			return a, endpointError("want an IPv6 address, got " + s)
		}
		return a, endpointError("want an IPv4 address, got " + s)
	}
	return a, nil
}

func looksNumeric(host string) bool {
	for i := 0; i < len(host); i++ {
		if c := host[i]; !(c >= '0' && c <= '9' || c == '.') {
			return false
		}
	}
	return true
}

// validateDNSName: labels of letters, digits and inner hyphens, 1-63 bytes, at most 253 in all.
func validateDNSName(s string) error {
	if s == "" || len(s) > maxDNSNameLen {
		return endpointError("host name must be 1-253 bytes")
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > maxDNSLabelLen {
			return endpointError("host name labels must be 1-63 bytes")
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return endpointError("host name labels cannot start or end with '-'")
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return endpointError("host names hold only letters, digits, '-' and '.'")
			}
		}
	}
	return nil
}

// validateMultiaddr accepts /<ip4|ip6|dns|dns4|dns6>/<addr>/<tcp|udp>/<port> followed by
// optional suffixes: /quic-v1, /quic, /ws, /wss, /tls, /http, /https and /p2p/<peer id>.
// A fixed grammar rather than a multiaddr library: validity is consensus, so it must not
// change with a dependency's protocol table.
func validateMultiaddr(s string) error {
	parts := strings.Split(s[1:], "/")
	bad := func(why string) error { return ErrInvalidEndpoint.Wrapf("multiaddr %q: %s", s, why) }
	if len(parts) < 4 || len(parts) > maxMultiaddrPart {
		return bad("want /<ip4|ip6|dns|dns4|dns6>/<address>/<tcp|udp>/<port>[/...]")
	}
	switch parts[0] {
	case "ip4":
		if _, err := parseIP(parts[1], false); err != nil {
			return bad(err.Error())
		}
	case "ip6":
		if _, err := parseIP(parts[1], true); err != nil {
			return bad(err.Error())
		}
	case "dns", "dns4", "dns6":
		if err := validateDNSName(parts[1]); err != nil {
			return bad(err.Error())
		}
	default:
		return bad("first protocol must be ip4, ip6, dns, dns4 or dns6")
	}
	if parts[2] != "tcp" && parts[2] != "udp" {
		return bad("second protocol must be tcp or udp")
	}
	if err := validatePort(parts[3]); err != nil {
		return bad(err.Error())
	}
	for i := 4; i < len(parts); i++ {
		switch parts[i] {
		case "quic-v1", "quic", "ws", "wss", "tls", "http", "https":
		case "p2p":
			if i+1 >= len(parts) || !isBase58(parts[i+1]) || len(parts[i+1]) > 128 {
				return bad("/p2p needs a base58 peer id")
			}
			i++
		default:
			return bad("unsupported protocol " + strconv.Quote(parts[i]))
		}
	}
	return nil
}

func isBase58(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '1' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z') || c == 'I' || c == 'O' || c == 'l' {
			return false
		}
	}
	return true
}

// validateEndpoints checks 1..MaxEndpoints distinct endpoints.
func validateEndpoints(eps []string) error {
	if len(eps) == 0 {
		return ErrInvalidEndpoint.Wrap("endpoints: at least one is required")
	}
	if len(eps) > MaxEndpoints {
		return ErrFieldTooLarge.Wrapf("endpoints: %d, at most %d", len(eps), MaxEndpoints)
	}
	for i, e := range eps {
		if err := validateEndpoint(e); err != nil {
			return err
		}
		for j := 0; j < i; j++ {
			if eps[j] == e {
				return ErrInvalidEndpoint.Wrapf("endpoints[%d]: %q is listed twice", i, e)
			}
		}
	}
	return nil
}

// token checks a short identifier: 1..max bytes of [A-Za-z0-9._:/+-] (region: lower case only).
func token(field, s string, max int, lowerOnly bool) error {
	if len(s) > max {
		return ErrFieldTooLarge.Wrapf("%s: %d bytes, at most %d", field, len(s), max)
	}
	if s == "" {
		return ErrInvalidField.Wrapf("%s: empty", field)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
		if !lowerOnly {
			ok = ok || c >= 'A' && c <= 'Z' || c == '.' || c == '_' || c == ':' || c == '/' || c == '+'
		}
		if !ok {
			if lowerOnly {
				return ErrInvalidField.Wrapf("%s: %q: use lower-case letters, digits and '-'", field, s)
			}
			return ErrInvalidField.Wrapf("%s: %q: use letters, digits and . _ : / + -", field, s)
		}
	}
	return nil
}

// validateCapabilities: at most MaxModels model names, sorted and unique (one canonical
// form, so equal capabilities are equal bytes).
func validateCapabilities(c Capabilities) error {
	if len(c.Models) > MaxModels {
		return ErrFieldTooLarge.Wrapf("capabilities.models: %d, at most %d", len(c.Models), MaxModels)
	}
	for i, m := range c.Models {
		if err := token("capabilities.models", m, MaxModelLen, false); err != nil {
			return err
		}
		if i > 0 && c.Models[i-1] >= m {
			return ErrInvalidCapabilities.Wrapf("capabilities.models: must be sorted and unique (%q before %q)", c.Models[i-1], m)
		}
	}
	return nil
}

func validateTier(t Tier, custom uint64) error {
	switch t {
	case TIER_FREE, TIER_GROWTH, TIER_PRO:
		if custom != 0 {
			return ErrInvalidTier.Wrapf("custom_quota_bytes is only for %s; %s takes its quota from params", TIER_ENTERPRISE, t)
		}
	case TIER_ENTERPRISE:
		if custom == 0 {
			return ErrInvalidTier.Wrapf("%s needs custom_quota_bytes > 0", TIER_ENTERPRISE)
		}
	default:
		return ErrInvalidTier.Wrapf("tier %d: want one of TIER_FREE, TIER_GROWTH, TIER_PRO, TIER_ENTERPRISE", int32(t))
	}
	return nil
}

// validateDescription checks the fields RegisterNode and UpdateNode share.
func validateDescription(endpoints []string, caps Capabilities, tier Tier, custom uint64, region, version string) error {
	if err := validateEndpoints(endpoints); err != nil {
		return err
	}
	if err := validateCapabilities(caps); err != nil {
		return err
	}
	if err := validateTier(tier, custom); err != nil {
		return err
	}
	if err := token("region", region, MaxRegionLen, true); err != nil {
		return err
	}
	return token("version", version, MaxVersionLen, false)
}

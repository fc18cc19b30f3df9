package fetch

import (
	"net/netip"
	"strconv"
	"strings"
)

// AllowPublic reports whether ip is an ordinary public unicast address that
// an article fetch may contact. It refuses loopback, private (RFC 1918 and
// IPv6 unique local), link-local (including the 169.254.169.254 cloud metadata
// address), unspecified, multicast, broadcast, carrier-grade NAT, "this
// network" (0.0.0.0/8), documentation and benchmarking ranges, IPv6
// site-local, other reserved space, and IPv4-mapped, NAT64 (64:ff9b::/96) and
// 6to4 forms of any refused IPv4 address. It is the default Config.Allow.
func AllowPublic(ip netip.Addr) bool {
	return blockReason(ip) == ""
}

// blockReason explains why ip is not a public address, as a phrase that
// completes "refused: <ip> is ...", or returns "" if ip is public.
func blockReason(ip netip.Addr) string {
	if !ip.IsValid() {
		return "not a valid address"
	}
	// netip.Prefix.Contains never matches an address with a zone, and
	// IPv4-mapped IPv6 addresses must be judged as the IPv4 they carry.
	ip = ip.WithZone("").Unmap()
	if ip.Is4() {
		return blockReason4(ip.As4())
	}
	return blockReason6(ip)
}

// blockReason4 classifies an IPv4 address given as its four octets.
func blockReason4(v [4]byte) string {
	a, b, c := v[0], v[1], v[2]
	switch {
	case v == [4]byte{0, 0, 0, 0}:
		return "an unspecified address"
	case a == 0:
		return `a reserved "this network" address`
	case a == 10:
		return "a private address"
	case a == 100 && b&0xc0 == 64:
		return "a carrier-grade NAT (shared) address"
	case a == 127:
		return "a loopback address"
	case v == [4]byte{169, 254, 169, 254}:
		return "the cloud metadata address (link-local)"
	case a == 169 && b == 254:
		return "a link-local address"
	case a == 172 && b&0xf0 == 16:
		return "a private address"
	case a == 192 && b == 0 && c == 0:
		return "a reserved (protocol assignment) address"
	case a == 192 && b == 0 && c == 2,
		a == 198 && b == 51 && c == 100,
		a == 203 && b == 0 && c == 113:
		return "a documentation address"
	case a == 192 && b == 88 && c == 99:
		return "a reserved (6to4 relay) address"
	case a == 192 && b == 168:
		return "a private address"
	case a == 198 && b&0xfe == 18:
		return "a benchmarking address"
	case a >= 224 && a <= 239:
		return "a multicast address"
	case v == [4]byte{255, 255, 255, 255}:
		return "the broadcast address"
	case a >= 240:
		return "a reserved address"
	}
	return ""
}

// blockReason6 classifies an IPv6 address that is not IPv4-mapped.
func blockReason6(ip netip.Addr) string {
	b := ip.As16()
	switch {
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsMulticast():
		return "a multicast address"
	case b[0] == 0xfe && b[1]&0xc0 == 0x80:
		return "a link-local address"
	case b[0] == 0xfe && b[1]&0xc0 == 0xc0:
		return "a site-local address"
	case b[0]&0xfe == 0xfc:
		return "a private (unique local) address"
	case inPrefix(ip, "64:ff9b::/96"):
		// Well-known NAT64 prefix: the gateway forwards to the embedded IPv4.
		v4 := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
		if r := blockReason4(v4.As4()); r != "" {
			return "a NAT64 address for " + v4.String() + ", " + r
		}
		return ""
	case inPrefix(ip, "2002::/16"):
		// 6to4: a relay forwards to the IPv4 address in bits 16-47.
		v4 := netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})
		if r := blockReason4(v4.As4()); r != "" {
			return "a 6to4 address for " + v4.String() + ", " + r
		}
		return ""
	case inPrefix(ip, "2001:db8::/32"), inPrefix(ip, "3fff::/20"):
		return "a documentation address"
	case inPrefix(ip, "2001::/23"):
		// IETF protocol assignments, including Teredo and ORCHID.
		return "a reserved (protocol assignment) address"
	case !inPrefix(ip, "2000::/3"):
		// Only 2000::/3 is allocated as global unicast (NAT64 is handled
		// above); everything else, including IPv4-compatible ::/96, is
		// reserved.
		return "a reserved address"
	}
	return ""
}

// inPrefix reports whether ip lies in the prefix written as cidr, which must
// be a valid literal.
func inPrefix(ip netip.Addr, cidr string) bool {
	return netip.MustParsePrefix(cidr).Contains(ip)
}

// parseHostIP interprets host (as returned by url.URL.Hostname) the way a
// browser does: an IPv6 literal, or an IPv4 address in any of the legacy
// inet_aton forms ("127.1", "2130706433", "0x7f.1", "0177.0.0.1"). It
// returns isIP=false for a domain name. A host whose last label is numeric but
// which is not a valid IPv4 address is an error (ok=false), as in the WHATWG
// URL standard, so that no resolver gets to interpret it differently.
func parseHostIP(host string) (ip netip.Addr, isIP, ok bool) {
	if strings.Contains(host, ":") {
		ip, err := netip.ParseAddr(host)
		if err != nil {
			return netip.Addr{}, true, false
		}
		return ip, true, true
	}
	if !endsInNumber(host) {
		return netip.Addr{}, false, true
	}
	ip, ok = parseIPv4Loose(host)
	return ip, true, ok
}

// endsInNumber reports whether the last dot-separated label of host (ignoring
// one trailing dot) is a decimal number or a 0x-prefixed hex number.
func endsInNumber(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	last := parts[len(parts)-1]
	if last == "" {
		return false
	}
	if allIn(last, "0123456789") {
		return true
	}
	if len(last) >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X') {
		return allIn(last[2:], "0123456789abcdefABCDEF")
	}
	return false
}

// allIn reports whether every byte of s is one of chars.
func allIn(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(chars, rune(s[i])) {
			return false
		}
	}
	return true
}

// parseIPv4Loose parses one to four dot-separated numbers, each decimal,
// octal (leading 0) or hex (leading 0x), where the last number fills the
// remaining bytes, as the WHATWG URL standard's IPv4 parser does.
func parseIPv4Loose(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		nums[i] = n
	}
	for _, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, false
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// parseIPv4Number parses one part of a loose IPv4 address.
func parseIPv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	if strings.ContainsAny(s, "+-_") {
		return 0, false
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

package fetch

import (
	"net/netip"
	"strings"
	"testing"
)

func TestAllowPublic(t *testing.T) {
	tests := []struct {
		ip     string
		public bool
		reason string // substring of the refusal phrase, if refused
	}{
		// Public addresses, including edges of refused ranges.
		{"8.8.8.8", true, ""},
		{"1.1.1.1", true, ""},
		{"93.184.216.34", true, ""},
		{"9.255.255.255", true, ""},
		{"11.0.0.0", true, ""},
		{"100.63.255.255", true, ""},
		{"100.128.0.0", true, ""},
		{"172.15.255.255", true, ""},
		{"172.32.0.0", true, ""},
		{"192.167.255.255", true, ""},
		{"192.169.0.0", true, ""},
		{"198.17.255.255", true, ""},
		{"198.20.0.0", true, ""},
		{"223.255.255.255", true, ""},
		{"::ffff:8.8.8.8", true, ""},
		{"2606:4700:4700::1111", true, ""},
		{"2a00:1450:4001:81a::200e", true, ""},
		{"64:ff9b::808:808", true, ""},
		{"2002:808:808::1", true, ""},

		// IPv4 refused ranges.
		{"0.0.0.0", false, "unspecified"},
		{"0.1.2.3", false, "this network"},
		{"10.0.0.5", false, "private"},
		{"10.255.255.255", false, "private"},
		{"100.64.0.1", false, "carrier-grade NAT"},
		{"100.127.255.255", false, "carrier-grade NAT"},
		{"127.0.0.1", false, "loopback"},
		{"127.255.255.254", false, "loopback"},
		{"169.254.169.254", false, "metadata"},
		{"169.254.0.1", false, "link-local"},
		{"172.16.0.1", false, "private"},
		{"172.31.255.255", false, "private"},
		{"192.0.0.8", false, "reserved"},
		{"192.0.2.1", false, "documentation"},
		{"192.88.99.1", false, "reserved"},
		{"192.168.1.10", false, "private"},
		{"198.18.0.1", false, "benchmarking"},
		{"198.19.255.255", false, "benchmarking"},
		{"198.51.100.7", false, "documentation"},
		{"203.0.113.9", false, "documentation"},
		{"224.0.0.1", false, "multicast"},
		{"239.255.255.250", false, "multicast"},
		{"240.0.0.1", false, "reserved"},
		{"255.255.255.255", false, "broadcast"},

		// IPv4-mapped forms are judged as the IPv4 they carry.
		{"::ffff:127.0.0.1", false, "loopback"},
		{"::ffff:10.0.0.1", false, "private"},
		{"::ffff:169.254.169.254", false, "metadata"},

		// IPv6 refused ranges.
		{"::", false, "unspecified"},
		{"::1", false, "loopback"},
		{"::127.0.0.1", false, "reserved"}, // deprecated IPv4-compatible
		{"fe80::1", false, "link-local"},
		{"fe80::1%eth0", false, "link-local"},
		{"febf::1", false, "link-local"},
		{"fec0::1", false, "site-local"},
		{"fc00::1", false, "unique local"},
		{"fd12:3456::1", false, "unique local"},
		{"ff02::1", false, "multicast"},
		{"2001:db8::1", false, "documentation"},
		{"3fff::1", false, "documentation"},
		{"2001::1", false, "protocol assignment"}, // Teredo
		{"100::1", false, "reserved"},             // discard-only
		{"64:ff9b::7f00:1", false, "127.0.0.1, a loopback"},
		{"64:ff9b::a9fe:a9fe", false, "metadata"},
		{"64:ff9b:1::1", false, "reserved"},
		{"2002:7f00:1::", false, "127.0.0.1, a loopback"},
		{"2002:a00:1::", false, "private"},
	}
	for _, tt := range tests {
		t.Run(tt.ip, func(t *testing.T) {
			ip := netip.MustParseAddr(tt.ip)
			if got := AllowPublic(ip); got != tt.public {
				t.Fatalf("AllowPublic(%s) = %v, want %v", tt.ip, got, tt.public)
			}
			if reason := blockReason(ip); !strings.Contains(reason, tt.reason) {
				t.Errorf("blockReason(%s) = %q, want it to mention %q", tt.ip, reason, tt.reason)
			}
		})
	}
	if AllowPublic(netip.Addr{}) {
		t.Error("AllowPublic accepts the zero Addr")
	}
}

func TestParseHostIP(t *testing.T) {
	tests := []struct {
		host string
		want string // "" when not an IP
		isIP bool
		ok   bool
	}{
		{"127.0.0.1", "127.0.0.1", true, true},
		{"2130706433", "127.0.0.1", true, true},
		{"0x7f.1", "127.0.0.1", true, true},
		{"0X7F.0.0.1", "127.0.0.1", true, true},
		{"0177.0.0.1", "127.0.0.1", true, true},
		{"0x7f000001", "127.0.0.1", true, true},
		{"127.1", "127.0.0.1", true, true},
		{"127.0.1", "127.0.0.1", true, true},
		{"1.256", "1.0.1.0", true, true},
		{"8.8.8.8.", "8.8.8.8", true, true},
		{"0", "0.0.0.0", true, true},
		{"0x", "0.0.0.0", true, true},
		{"4294967295", "255.255.255.255", true, true},
		{"::1", "::1", true, true},
		{"fe80::1%eth0", "fe80::1%eth0", true, true},
		{"example.com", "", false, true},
		{"1.example", "", false, true},
		{"0x7g", "", false, true},
		{"example.1", "", true, false},
		{"256.0.0.1", "", true, false},
		{"1.2.3.4.5", "", true, false},
		{"4294967296", "", true, false},
		{"08", "", true, false},
		{"1..2", "", true, false},
		{"99999999999999999999999", "", true, false},
		{"::zz", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			ip, isIP, ok := parseHostIP(tt.host)
			if isIP != tt.isIP || ok != tt.ok {
				t.Fatalf("parseHostIP(%q) isIP=%v ok=%v, want isIP=%v ok=%v", tt.host, isIP, ok, tt.isIP, tt.ok)
			}
			if tt.want != "" && ip.String() != tt.want {
				t.Errorf("parseHostIP(%q) = %s, want %s", tt.host, ip, tt.want)
			}
		})
	}
}

func FuzzParseHostIP(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "0x7f.1", "2130706433", "017.1", "::1", "example.com", "1.2.3.4.5", "0x.0x.0x.0x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		ip, isIP, ok := parseHostIP(host)
		if !isIP || !ok {
			return
		}
		if !ip.IsValid() {
			t.Fatalf("parseHostIP(%q) reported an invalid IP as valid", host)
		}
		// A canonical dotted quad must parse to itself.
		if want, err := netip.ParseAddr(host); err == nil && want.Is4() && want != ip {
			t.Fatalf("parseHostIP(%q) = %s, want %s", host, ip, want)
		}
	})
}

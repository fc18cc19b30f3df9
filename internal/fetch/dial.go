package fetch

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"syscall"

	"golang.org/x/net/idna"
)

// Resolver looks up the addresses of a host name. *net.Resolver satisfies
// it; tests pass a fake. network is "ip", "ip4" or "ip6".
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// resolve returns the addresses that host stands for, refusing the whole host
// if any of them is not allowed (a name with one public and one private
// record is a known way to slip past a check). host is a URL host name
// without brackets; numeric hosts are parsed, never handed to the resolver.
func (f *Fetcher) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	ip, isIP, ok := parseHostIP(host)
	if !ok {
		return nil, newError(ErrBadURL, nil, "%q is not a valid host name or IP address", host)
	}
	if isIP {
		if err := f.check(ip, ""); err != nil {
			return nil, err
		}
		return []netip.Addr{ip.WithZone("").Unmap()}, nil
	}

	name, err := idna.Lookup.ToASCII(strings.TrimSuffix(host, "."))
	if err != nil || name == "" {
		return nil, newError(ErrBadURL, err, "%q is not a valid host name", host)
	}
	name = strings.ToLower(name)
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		// RFC 6761: these names always mean this machine.
		return nil, newError(ErrForbiddenAddress, nil, "refused: %s is this machine (a loopback address)", host)
	}

	addrs, err := f.resolver.LookupNetIP(ctx, network, name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err // classified as a timeout or cancellation by Get
		}
		return nil, newError(ErrUnreachable, err, "could not find the host %s", host)
	}
	if len(addrs) == 0 {
		return nil, newError(ErrUnreachable, nil, "could not find the host %s", host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if err := f.check(a, host); err != nil {
			return nil, err
		}
		out = append(out, a.WithZone("").Unmap())
	}
	return out, nil
}

// check returns an ErrForbiddenAddress error if Allow refuses ip. host, if
// not empty, is the name that resolved to ip, for the message.
func (f *Fetcher) check(ip netip.Addr, host string) error {
	if f.allow(ip.WithZone("").Unmap()) {
		return nil
	}
	reason := blockReason(ip)
	if reason == "" {
		reason = "not an allowed address"
	}
	if host != "" {
		return newError(ErrForbiddenAddress, nil, "refused: %s resolves to %s, %s", host, ip, reason)
	}
	return newError(ErrForbiddenAddress, nil, "refused: %s is %s", ip, reason)
}

// dialContext is the transport's only way out. It resolves the host itself
// (through Config.Resolver), refuses forbidden addresses, and dials the
// checked IPs one after the other. The dialer's Control hook checks the
// socket address once more just before connect, so no path can reach an
// address that Allow refuses.
func (f *Fetcher) dialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, newError(ErrBadURL, err, "%q is not a valid host and port", addr)
	}
	lookup := "ip"
	switch network {
	case "tcp4":
		lookup = "ip4"
	case "tcp6":
		lookup = "ip6"
	}
	ips, err := f.resolve(ctx, lookup, host)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, ip := range ips {
		conn, err := f.dialer.DialContext(ctx, network, net.JoinHostPort(ip.String(), port))
		if err == nil {
			return conn, nil
		}
		var fe *Error
		if errors.As(err, &fe) || ctx.Err() != nil {
			return nil, err
		}
		errs = append(errs, err)
	}
	return nil, newError(ErrUnreachable, errors.Join(errs...), "could not connect to %s", host)
}

// control runs on every socket just before it connects; address is the
// numeric "ip:port" being dialled.
func (f *Fetcher) control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return newError(ErrForbiddenAddress, err, "refused: %s is not an IP address", address)
	}
	return f.check(ap.Addr(), "")
}

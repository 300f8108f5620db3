/**
 * Which host texts mean "this machine": one rule for the probe action (a URL a HEALTHCHECK
 * fetches inside the container), the bind-address check (a server the kubelet cannot reach at
 * the pod IP) and promotion (a registry on loopback speaks plain HTTP).
 *
 * - Loopback: IPv4 127.0.0.0/8 (RFC 1122 §3.2.1.3 (g), "{127, <any>}: internal host loopback
 *   address"), written `127.a.b.c` in decimal; IPv6 `::1` (RFC 4291 §2.5.3), bare (a server's
 *   `--host ::1`) or in URL brackets (`[::1]`); and the name `localhost` (RFC 6761 §6.3: it
 *   resolves to loopback), in any letter case (DNS names are case-insensitive, RFC 4343). Names
 *   under `.localhost` are left out: RFC 6761 lets resolvers send them to loopback, but glibc's
 *   does not, so a client in the image may not reach them.
 * - Unspecified, "all interfaces": `0.0.0.0` (RFC 1122 §3.2.1.3 (a), "this host on this network")
 *   and `::`/`[::]` (RFC 4291 §2.5.2). Not loopback: a server bound there listens on every
 *   interface, and a client that connects there reaches its own host (Linux).
 *
 * Texts are matched as written, so callers pass canonical forms (a WHATWG `URL` hostname, which
 * turns `127.1` into `127.0.0.1` and `[0:0:0:0:0:0:0:1]` into `[::1]`, or a flag's value).
 * Octets are not range-checked: `127.999.0.1` is no address, and no server binds to it.
 */

/**
 * Whether `host` names the loopback interface.
 *
 * @param host a host name or address text, e.g. `localhost`, `127.0.0.1`, `::1`, `[::1]`
 */
export function isLoopbackHost(host: string): boolean {
    const lower = host.toLowerCase();
    return lower === "localhost" || lower === "::1" || lower === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * Whether `host` is the unspecified address (`0.0.0.0`, `::` or `[::]`): every interface when a
 * server binds it, the own host when a client connects to it.
 */
export function isUnspecifiedHost(host: string): boolean {
    return host === "0.0.0.0" || host === "::" || host === "[::]";
}

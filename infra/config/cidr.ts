/**
 * CIDR blocks for NetworkPolicy `ipBlock.cidr`.
 *
 * The API server parses the field with `netutils.ParseCIDRSloppy` (Go's `net.ParseCIDR`, plus
 * leading zeros) and, under the StrictIPCIDRValidation rules, also refuses leading zeros,
 * IPv4-mapped IPv6 addresses and bits set beyond the prefix length; without them it accepts
 * those with a warning that they "will be considered invalid in a future Kubernetes release".
 * Source: k8s.io/apimachinery/pkg/util/validation/ip.go (`parseCIDR`, `IsValidCIDRForLegacyField`,
 * `GetWarningsForCIDR`) and pkg/apis/networking/validation (`ValidateIPBlock`), Kubernetes v1.34.
 * This module applies the strict rules, so a stack never depends on a warned-about form.
 */

/** Parsed address: its bits as one integer and its width (32 or 128). */
interface Address {
    bits: bigint;
    width: 32 | 128;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseIPv4(text: string): Address | string {
    const match = IPV4.exec(text);
    if (!match) return "an IPv4 address has four decimal octets a.b.c.d";
    let bits = 0n;
    for (const octet of match.slice(1)) {
        if (octet.length > 1 && octet.startsWith("0")) return `octet "${octet}" has a leading 0`;
        if (Number(octet) > 255) return `octet ${octet} is over 255`;
        bits = (bits << 8n) | BigInt(octet);
    }
    return { bits, width: 32 };
}

function parseGroups(text: string): bigint[] | string {
    if (text === "") return [];
    const groups: bigint[] = [];
    for (const group of text.split(":")) {
        if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return `group "${group}" is not 1 to 4 hex digits`;
        groups.push(BigInt(`0x${group}`));
    }
    return groups;
}

/** IPv6 as Go's net.ParseIP reads it: hex groups, one `::`, an optional trailing dotted IPv4. No zone. */
function parseIPv6(text: string): Address | string {
    let body = text;
    let tail: bigint[] = [];
    const lastColon = body.lastIndexOf(":");
    if (body.slice(lastColon + 1).includes(".")) {
        const v4 = parseIPv4(body.slice(lastColon + 1));
        if (typeof v4 === "string") return v4;
        tail = [v4.bits >> 16n, v4.bits & 0xffffn];
        // Keep a "::" before the IPv4 part; drop a single separating ':'.
        const before = body.slice(0, lastColon + 1);
        body = before.endsWith("::") ? before : before.slice(0, -1);
    }
    const halves = body.split("::");
    if (halves.length > 2) return "an IPv6 address has at most one '::'";
    const head = parseGroups(halves[0]);
    if (typeof head === "string") return head;
    let groups: bigint[];
    if (halves.length === 2) {
        const rest = parseGroups(halves[1]);
        if (typeof rest === "string") return rest;
        const missing = 8 - head.length - rest.length - tail.length;
        if (missing < 1) return "an IPv6 address has 8 groups of 16 bits";
        groups = [...head, ...Array<bigint>(missing).fill(0n), ...rest, ...tail];
    } else {
        groups = [...head, ...tail];
    }
    if (groups.length !== 8) return "an IPv6 address has 8 groups of 16 bits";
    return { bits: groups.reduce((acc, g) => (acc << 16n) | g, 0n), width: 128 };
}

const ALLOWED = "expected a CIDR block ADDRESS/PREFIX such as 10.0.0.0/8 or 2001:db8::/32: octets 0 to 255, prefix 0 to 32 (IPv4) or 0 to 128 (IPv6), no leading zeros, no bits set after the prefix";

/**
 * Why `value` is not a CIDR block the API server accepts without warning, or undefined.
 *
 * @returns one phrase: what is wrong and what is allowed
 */
export function cidrProblem(value: string): string | undefined {
    const slash = value.indexOf("/");
    if (slash < 0) return `${ALLOWED} (no /PREFIX)`;
    const [addressText, prefixText] = [value.slice(0, slash), value.slice(slash + 1)];
    const address = addressText.includes(":") ? parseIPv6(addressText) : parseIPv4(addressText);
    if (typeof address === "string") return `${ALLOWED} (${address})`;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > address.width) {
        return `${ALLOWED} (prefix "${prefixText}" is not 0 to ${address.width})`;
    }
    if (address.width === 128 && address.bits >> 32n === 0xffffn) return `${ALLOWED} (an IPv4-mapped IPv6 address; write the IPv4 block)`;
    const hostBits = BigInt(address.width - Number(prefixText));
    if ((address.bits & ((1n << hostBits) - 1n)) !== 0n) return `${ALLOWED} (bits are set after the /${prefixText} prefix)`;
    return undefined;
}

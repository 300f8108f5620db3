import { cidrProblem } from "../../infra/config/cidr";
import { dns1123LabelProblem, dns1123SubdomainProblem, labelKeyProblem, labelValueProblem } from "../../infra/config/kubernetesNames";
import { compareQuantities, parseQuantity } from "../../infra/config/quantity";
import { mountPathProblem } from "../../infra/k8s/mounts";
import { CONFIGMAP_MAX_BYTES, configMapSizeProblem } from "../../infra/k8s/objectLimits";

const exact = (text: string) => {
    const q = parseQuantity(text);
    if (!q) throw new Error(`${text} did not parse`);
    return q;
};

describe("quantities, exactly", () => {
    test.each([
        ["250m", 1n, 4n], ["1", 1n, 1n], ["1.5Gi", 1610612736n, 1n], ["1e3", 1000n, 1n], ["1E-3", 1n, 1000n], [".5", 1n, 2n], ["1.", 1n, 1n], ["+2k", 2000n, 1n], ["-1Mi", -1048576n, 1n], ["0", 0n, 1n],
    ])("%s = %d/%d", (text, numerator, denominator) => {
        const q = exact(text);
        expect(q.numerator * denominator).toBe(numerator * q.denominator);
    });
    test.each(["", "1MB", "1mi", "1e1.5", "Gi", "1 Gi", "1Gi ", "0x10", "1e", "--1", "1e101"])("%j is refused", (text) => {
        expect(parseQuantity(text)).toBeUndefined();
    });
    test("compares across suffixes", () => {
        expect(compareQuantities(exact("1000m"), exact("1"))).toBe(0);
        expect(compareQuantities(exact("1Gi"), exact("1073741824"))).toBe(0);
        expect(compareQuantities(exact("1G"), exact("1Gi"))).toBe(-1);
        expect(compareQuantities(exact("1001m"), exact("1"))).toBe(1);
        expect(compareQuantities(exact("0.1"), exact("100m"))).toBe(0);
    });
});

describe("CIDR blocks (strict ParseCIDR)", () => {
    test.each(["10.0.0.0/8", "0.0.0.0/0", "203.0.113.7/32", "2001:db8::/32", "::/0", "::1/128", "fe80::/10", "64:ff9b::c000:200/120", "2001:DB8::/32"])("%s is accepted", (cidr) => {
        expect(cidrProblem(cidr)).toBeUndefined();
    });
    test.each([
        ["10.0.0.0/33", 'prefix "33" is not 0 to 32'],
        ["2001:db8::/129", 'prefix "129" is not 0 to 128'],
        ["10.0.0.256/32", "octet 256 is over 255"],
        ["10.0.0/8", "four decimal octets"],
        ["010.0.0.0/8", 'octet "010" has a leading 0'],
        ["10.0.0.0/08", 'prefix "08" is not 0 to 32'],
        ["10.0.0.1/8", "bits are set after the /8 prefix"],
        ["10.0.0.0", "no /PREFIX"],
        ["::ffff:10.0.0.0/104", "IPv4-mapped"],
        ["2001:db8:::/32", "group"],
        ["1:2:3:4:5:6:7:8:9/128", "8 groups"],
        ["2001:db8::g/128", 'group "g"'],
    ])("%s is refused: %s", (cidr, reason) => {
        expect(cidrProblem(cidr)).toContain(reason);
    });
});

describe("names and labels (apimachinery util/validation)", () => {
    test("DNS-1123 labels: 63 characters at most", () => {
        expect(dns1123LabelProblem("a".repeat(63))).toBeUndefined();
        expect(dns1123LabelProblem("a".repeat(64))).toContain("at most 63");
        expect(dns1123LabelProblem("a.b")).toContain("DNS-1123 label");
        expect(dns1123LabelProblem("-a")).toContain("DNS-1123 label");
    });
    test("DNS-1123 subdomains: dotted labels, 253 characters at most", () => {
        expect(dns1123SubdomainProblem("standard-retain.example.com")).toBeUndefined();
        expect(dns1123SubdomainProblem("Standard")).toContain("DNS-1123 subdomain");
        expect(dns1123SubdomainProblem("a..b")).toContain("DNS-1123 subdomain");
        expect(dns1123SubdomainProblem("a".repeat(254))).toContain("at most 253");
    });
    test.each(["app", "app.kubernetes.io/name", "A_b.c-D", "example.com/" + "n".repeat(63)])("label key %s is accepted", (key) => {
        expect(labelKeyProblem(key)).toBeUndefined();
    });
    test.each([["app name", "name part"], ["a/b/c", "at most one '/'"], ["/name", "prefix"], ["Example.com/name", "prefix must be a DNS-1123 subdomain"], ["example.com/", "non-empty name"], ["n".repeat(64), "at most 63"], ["-app", "name part"]])("label key %j is refused (%s)", (key, reason) => {
        expect(labelKeyProblem(key)).toContain(reason);
    });
    test("label values: empty, or 63 alphanumeric-bounded characters", () => {
        expect(labelValueProblem("")).toBeUndefined();
        expect(labelValueProblem("v1.2_3-x")).toBeUndefined();
        expect(labelValueProblem("a".repeat(64))).toContain("at most 63");
        expect(labelValueProblem("dev_")).toContain("starting and ending with a letter or digit");
        expect(labelValueProblem("a b")).toContain("label value");
    });
});

describe("mount paths", () => {
    const others = [{ name: "config", mountPath: "/app/config" }, { name: "tmp", mountPath: "/tmp" }];
    test.each([
        ["data", "must be an absolute path"],
        ["/", "must not be /"],
        ["/app//data", "normalised"],
        ["/app/data/", "normalised"],
        ["/tmp", "collides with the tmp volume mounted at /tmp"],
        ["/app/config/db", "overlaps the config volume mounted at /app/config"],
        ["/app", "overlaps the config volume"],
    ])("%s is refused: %s", (mountPath, reason) => {
        expect(mountPathProblem(mountPath, others)).toContain(reason);
    });
    test("a path of its own is accepted, also beside a prefix-sharing sibling", () => {
        expect(mountPathProblem("/app/ragstar_db", others)).toBeUndefined();
        expect(mountPathProblem("/tmpdata", others)).toBeUndefined();
    });
});

test("the ConfigMap limit is 1 MiB of UTF-8 bytes, keys not counted", () => {
    expect(configMapSizeProblem({ "ragstar.yaml": "a".repeat(CONFIGMAP_MAX_BYTES) })).toBeUndefined();
    expect(configMapSizeProblem({ "ragstar.yaml": "a".repeat(CONFIGMAP_MAX_BYTES + 1) })).toBe("1048577 bytes: the ConfigMap's data must be at most 1048576 bytes (1 MiB), the API server's limit");
    expect(configMapSizeProblem({ "ragstar.yaml": "é".repeat(CONFIGMAP_MAX_BYTES / 2 + 1) })).toContain("1048578 bytes");
});

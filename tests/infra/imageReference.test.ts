/**
 * What infra/imageReference.ts accepts, including each documented difference from
 * distribution/reference's grammar, so a change to the patterns is a visible change here.
 */
import {
    DIGEST_PINNED_REFERENCE,
    DOCKER_HUB_REGISTRY,
    endsWithDigest,
    isRegistryHost,
    parseImageReference,
    REGISTRY_PREFIX,
    REPOSITORY_PATH,
} from "../../infra/imageReference";

const DIGEST = `sha256:${"ab".repeat(32)}`;

describe("DIGEST_PINNED_REFERENCE", () => {
    test.each([
        `registry.example.com/ragstar@${DIGEST}`,
        `registry.example.com:5000/platform/ragstar:1.0@${DIGEST}`,
        `127.0.0.1:5000/ragstar@${DIGEST}`,
        `localhost/ragstar@${DIGEST}`,
        `library/python@${DIGEST}`,
        `Registry.Example.com/a.b_c-d/e@${DIGEST}`,
        // looser than distribution: hyphen-edged or empty host labels
        `a..b/ragstar@${DIGEST}`,
        `host-/ragstar@${DIGEST}`,
    ])("accepts %s", (reference) => {
        expect(DIGEST_PINNED_REFERENCE.test(reference)).toBe(true);
    });

    test.each([
        ["a tag alone", "registry.example.com/ragstar:1.0"],
        ["no repository (stricter than distribution)", `ragstar@${DIGEST}`],
        ["a short digest", `registry.example.com/ragstar@sha256:${"a".repeat(63)}`],
        ["upper-case hex", `registry.example.com/ragstar@sha256:${"A".repeat(64)}`],
        ["another algorithm (stricter than distribution)", `registry.example.com/ragstar@sha512:${"a".repeat(128)}`],
        ["a double underscore (stricter than distribution)", `registry.example.com/a__b@${DIGEST}`],
        ["a double dash (stricter than distribution)", `registry.example.com/a--b@${DIGEST}`],
        ["a six-digit port (stricter than distribution)", `registry.example.com:123456/ragstar@${DIGEST}`],
        ["a bracketed IPv6 host (stricter than distribution)", `[::1]:5000/ragstar@${DIGEST}`],
        ["an underscore in the first component (stricter than distribution)", `my_org/ragstar@${DIGEST}`],
        ["an upper-case repository", `registry.example.com/Ragstar@${DIGEST}`],
        ["a tag over 128 characters", `registry.example.com/ragstar:${"t".repeat(129)}@${DIGEST}`],
    ])("refuses %s", (_, reference) => {
        expect(DIGEST_PINNED_REFERENCE.test(reference)).toBe(false);
    });
});

test("REGISTRY_PREFIX: host[:port][/path], the host ending in an alphanumeric", () => {
    for (const ok of ["registry.example.com", "registry.example.com:5000/team", "localhost:5000", "r/a.b/c"]) expect(REGISTRY_PREFIX.test(ok)).toBe(true);
    for (const bad of ["registry.example.com/", "host-", "-host", "registry.example.com/Team", "https://registry.example.com", "r:123456"]) expect(REGISTRY_PREFIX.test(bad)).toBe(false);
});

test("REPOSITORY_PATH: lower-case path components", () => {
    for (const ok of ["ragstar", "team/ragstar", "a.b_c-d/e"]) expect(REPOSITORY_PATH.test(ok)).toBe(true);
    for (const bad of ["Ragstar", "team/", "/ragstar", "a__b", "a--b", "ragstar:1.0"]) expect(REPOSITORY_PATH.test(bad)).toBe(false);
});

test("endsWithDigest looks only at the end", () => {
    expect(endsWithDigest(`anything at all@${DIGEST}`)).toBe(true);
    expect(endsWithDigest(`busybox@${DIGEST}x`)).toBe(false);
    expect(endsWithDigest("busybox")).toBe(false);
});

test("isRegistryHost: a dot, a colon or localhost (distribution's splitDockerDomain, without its upper-case rule)", () => {
    for (const host of ["registry.example.com", "127.0.0.1", "registry:5000", "localhost", "docker.io"]) expect(isRegistryHost(host)).toBe(true);
    for (const namespace of ["library", "platform", "Platform", "localhost2"]) expect(isRegistryHost(namespace)).toBe(false);
});

test("parseImageReference splits off the registry, drops the tag and keeps the digest", () => {
    expect(parseImageReference(`registry.example.com:5000/platform/ragstar:1.0@${DIGEST}`)).toEqual({ registry: "registry.example.com:5000", repository: "platform/ragstar", digest: DIGEST });
    expect(parseImageReference(`platform/ragstar@${DIGEST}`)).toEqual({ registry: DOCKER_HUB_REGISTRY, repository: "platform/ragstar", digest: DIGEST });
    expect(DOCKER_HUB_REGISTRY).toBe("registry-1.docker.io");
    expect(() => parseImageReference("registry.example.com/ragstar:1.0")).toThrow("is not pinned by digest");
});

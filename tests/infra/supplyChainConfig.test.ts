/**
 * `ragstar:supplyChain` and `ragstar:promotion` (infra/config/supplyChain.ts) and the public-key
 * rules (infra/supplyChain/publicKey.ts), on keys node:crypto generates.
 */
import { createHash, generateKeyPairSync } from "node:crypto";

import { ConfigError } from "../../infra/errors";
import { parseStackConfig, type RawConfig } from "../../infra/config/stackConfig";
import { publicKeyFingerprint, publicKeyProblem } from "../../infra/supplyChain/publicKey";
import { readStackSupplyChain } from "../../infra/tools/promotion/stackFileImage";
import { thrown } from "./thrown";

const pem = (type: "ec" | "rsa" | "ed25519" | "x25519") => {
    const pair =
        type === "ec" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : type === "rsa" ? generateKeyPairSync("rsa", { modulusLength: 2048 }) : type === "ed25519" ? generateKeyPairSync("ed25519") : generateKeyPairSync("x25519");
    return { publicKey: pair.publicKey.export({ type: "spki", format: "pem" }).toString(), privateKey: pair.privateKey.export({ type: "pkcs8", format: "pem" }).toString(), der: pair.publicKey.export({ type: "spki", format: "der" }) };
};
const ec = pem("ec");
const REF = "registry.example.com/ragstar@sha256:" + "a".repeat(64);
const base: RawConfig = { "ragstar:namespace": "ragstar-test", "ragstar:image": JSON.stringify({ ref: REF }) };
const parse = (extra: RawConfig) => parseStackConfig({ ...base, ...extra }, () => false, "Pulumi.test.yaml");
const problemsOf = (extra: RawConfig) => thrown(ConfigError, () => parse(extra)).problems;

describe("ragstar:supplyChain", () => {
    it("is off by default", () => {
        expect(parse({}).supplyChain).toEqual({ verify: false });
    });

    it.each(["ec", "rsa", "ed25519"] as const)("takes a %s public key", (type) => {
        const key = pem(type).publicKey;
        expect(parse({ "ragstar:supplyChain": JSON.stringify({ verify: true, publicKey: key }) }).supplyChain).toEqual({ verify: true, publicKey: key });
    });

    it("needs the public key when verify is on", () => {
        expect(problemsOf({ "ragstar:supplyChain": JSON.stringify({ verify: true }) })).toEqual([
            "ragstar:supplyChain.publicKey: (unset): required when verify is true: the PEM of `cosign public-key` for the key that signs this project's images",
        ]);
    });

    it("refuses a private key without repeating it", () => {
        const problems = problemsOf({ "ragstar:supplyChain": JSON.stringify({ verify: true, publicKey: ec.privateKey }) });
        expect(problems).toHaveLength(1);
        expect(problems[0]).toMatch(/^ragstar:supplyChain\.publicKey: "\[private key\]": is a PRIVATE key: never put it in a stack file/);
        const body = ec.privateKey.split("\n")[1];
        expect(problems[0]).not.toContain(body);
    });

    it("refuses a key cosign cannot verify with, and text that is no key", () => {
        expect(publicKeyProblem(pem("x25519").publicKey)).toBe("is a x25519 key; cosign verifies ec, rsa, ed25519 keys");
        expect(publicKeyProblem("ssh-ed25519 AAAA… user@host")).toMatch(/^expected a PEM public key/);
        expect(publicKeyProblem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")).toMatch(/^is not a readable public key/);
    });

    it("applies only to a stack that deploys image.ref", () => {
        const problems = problemsOf({ "ragstar:image": JSON.stringify({ registry: "registry.example.com" }), "ragstar:supplyChain": JSON.stringify({ verify: true, publicKey: ec.publicKey }) });
        expect(problems).toEqual([expect.stringMatching(/^ragstar:supplyChain\.verify: true: applies only to a stack that deploys image\.ref: a stack that builds \(image\.registry\) signs after its push/)]);
    });

    it("names a key by the SHA-256 of its SubjectPublicKeyInfo", () => {
        const expected = createHash("sha256").update(ec.der).digest("base64").replace(/=+$/, "");
        expect(publicKeyFingerprint(ec.publicKey)).toBe(`SHA256:${expected}`);
        expect(publicKeyFingerprint(ec.publicKey)).not.toBe(publicKeyFingerprint(pem("ec").publicKey));
    });
});

describe("ragstar:promotion", () => {
    it("takes a REGISTRY/REPOSITORY", () => {
        expect(parse({ "ragstar:promotion": JSON.stringify({ repository: "prod-registry.example.com:5000/platform/ragstar" }) }).promotion).toEqual({ repository: "prod-registry.example.com:5000/platform/ragstar" });
    });

    it.each([
        ["prod-registry.example.com", "expected REGISTRY/REPOSITORY (a registry host, then the repository path)"],
        ["Registry.example.com/Ragstar", "expected REGISTRY/REPOSITORY, e.g. registry.example.com:5000/platform/ragstar"],
        ["registry.example.com/ragstar@sha256:" + "b".repeat(64), "expected REGISTRY/REPOSITORY, e.g."],
    ])("refuses %s", (repository, message) => {
        expect(problemsOf({ "ragstar:promotion": JSON.stringify({ repository }) })).toEqual([expect.stringContaining(`ragstar:promotion.repository: ${JSON.stringify(repository)}: ${message}`)]);
    });
});

describe("promote's reading of a target stack file", () => {
    const indent = (pem: string, by: string) => pem.trimEnd().split("\n").map((l) => `${by}${l}`).join("\n");

    it("takes verify, the key and the repository", () => {
        const text = `config:\n  ragstar:supplyChain:\n    verify: true\n    publicKey: |\n${indent(ec.publicKey, "      ")}\n  ragstar:promotion:\n    repository: prod.example.com/platform/ragstar\n`;
        expect(readStackSupplyChain(text, "Pulumi.prod.yaml")).toEqual({ supplyChain: { verify: true, publicKey: ec.publicKey }, promotion: { repository: "prod.example.com/platform/ragstar" } });
    });

    it("never repeats a private key or a password pasted beside the settings", () => {
        const text = `config:\n  ragstar:supplyChain:\n    verify: true\n    publicKey: |\n${indent(ec.publicKey, "      ")}\n    privateKey: |\n${indent(ec.privateKey, "      ")}\n  ragstar:promotion:\n    repository: prod.example.com/platform/ragstar\n    password: promotion-canary-5e1d\n`;
        const problems = thrown(ConfigError, () => readStackSupplyChain(text, "Pulumi.prod.yaml")).problems;
        expect(problems).toHaveLength(2);
        expect(problems[0]).toMatch(/^ragstar:supplyChain: .*"privateKey":"\[private key\]".*: unknown key "privateKey"/);
        expect(problems[1]).toMatch(/^ragstar:promotion: .*"password":"\[secret\]".*: unknown key "password"/);
        const printed = problems.join("\n");
        for (const line of ec.privateKey.split("\n").filter((l) => l && !l.startsWith("-----"))) expect(printed).not.toContain(line);
        expect(printed).not.toContain("promotion-canary-5e1d");
    });
});


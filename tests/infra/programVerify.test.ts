/**
 * The program's verification step (ragstar:supplyChain.verify): it runs before any resource is
 * registered, with the stack's key and registry login, and its refusal is one line naming the
 * digest and the reason. The verifier here is a recording stand-in; tests/supplyChain runs the
 * same step with cosign against a real registry.
 */
import { generateKeyPairSync } from "node:crypto";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "../../infra/errors";
import { ragstarProgram } from "../../infra/program";
import type { ImageVerification, ImageVerifier } from "../../infra/supplyChain/verifyImage";
import { readStackFile } from "../../infra/tools/render/stackFile";
import { projectWith } from "./projectFixture";

const REF = `registry.example.com/platform/ragstar@sha256:${"ab".repeat(32)}`;
const PUBLIC_KEY = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" }).toString();
const PASSWORD = "pull-password-canary-5d1e";

function stackYaml(verify: boolean): string {
    const key = PUBLIC_KEY.trimEnd().split("\n").map((line) => `      ${line}`).join("\n");
    return [
        "config:",
        "  ragstar:namespace: ragstar-staging",
        "  ragstar:image:",
        `    ref: ${REF}`,
        "    username: puller",
        "  ragstar:registryPassword:",
        "    secure: v1:cHVsbC1wYXNzd29yZC1jaXBoZXJ0ZXh0",
        "  ragstar:supplyChain:",
        `    verify: ${verify}`,
        "    publicKey: |",
        key,
        "",
    ].join("\n");
}

/** Run the program under mocks; returns the resource types registered, or the error thrown. */
async function run(verify: boolean, verifier: ImageVerifier): Promise<{ registered: string[]; error?: unknown }> {
    const dir = projectWith("staging", stackYaml(verify));
    const { config, secretKeys } = readStackFile(path.join(dir, "Pulumi.staging.yaml"), "ragstar");
    pulumi.runtime.setAllConfig({ ...config, "ragstar:registryPassword": PASSWORD }, secretKeys);
    const registered: string[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                registered.push(args.type);
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call: (args) => args.inputs,
        },
        "ragstar",
        "staging",
        false,
    );
    try {
        ragstarProgram(dir, { verifier });
    } catch (error) {
        return { registered, error };
    }
    const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
    await settings.waitForRPCs();
    return { registered };
}

const recording = (outcome: ImageVerification) => {
    const calls: Parameters<ImageVerifier>[] = [];
    const verifier: ImageVerifier = (...args) => {
        calls.push(args);
        return outcome;
    };
    return { calls, verifier };
};

test("verify on: the stack's key and pull login are checked against image.ref, then the objects register", async () => {
    const { calls, verifier } = recording({ ok: true, sbomPackages: 120 });
    const { registered, error } = await run(true, verifier);
    expect(error).toBeUndefined();
    expect(calls).toEqual([[REF, PUBLIC_KEY, { "registry.example.com": { username: "puller", password: PASSWORD } }]]);
    expect(registered).toContain("kubernetes:apps/v1:Deployment");
});

test.each([
    ["unsigned", "is not signed: no signature for this digest"],
    ["wrong-key", "is not signed by the configured key SHA256:"],
    ["other-image", "carries a signature made for another image"],
    ["no-sbom", "is signed, but has no SBOM attestation signed by the configured key SHA256:"],
] as const)("verify on, %s: one line naming the digest and the reason, and nothing registered", async (failure, reason) => {
    const { verifier } = recording({ ok: false, failure, detail: "cosign's own words" });
    const { registered, error } = await run(true, verifier);
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0].startsWith(`ragstar:image.ref: ${REF} ${reason}`)).toBe(true);
    expect(problems[0]).toMatch(/\[cosign: cosign's own words\] \(ragstar:supplyChain\.verify is on\)$/);
    expect(problems[0]).not.toContain(PASSWORD);
    expect(registered).toEqual([]);
});

test("verify off: the verifier is not called", async () => {
    const { calls, verifier } = recording({ ok: false, failure: "unsigned", detail: "" });
    const { error } = await run(false, verifier);
    expect(error).toBeUndefined();
    expect(calls).toEqual([]);
});

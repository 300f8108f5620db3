/**
 * What `promote` and the program refuse, judged by cosign against the real registry: an unsigned
 * digest, a digest signed with another key, a digest carrying a signature made for another image,
 * and a signed digest without an SBOM. And what they accept: a digest signed and attested by the key.
 */
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "../../infra/errors";
import { parseImageReference } from "../../infra/imageReference";
import { ragstarProgram } from "../../infra/program";
import { attestSbom, signImage } from "../../infra/supplyChain/cosign";
import { publicKeyFingerprint } from "../../infra/supplyChain/publicKey";
import { generateSbom } from "../../infra/supplyChain/syft";
import { readStackFile } from "../../infra/tools/render/stackFile";
import { projectWith } from "../infra/projectFixture";
import { generateKeyPair, getManifest, type KeyPair, logins, promotionRoot, pushDerivedImage, pushProjectImage, putManifest, registry, removeTemporaryFolders, runCommand, targetStackYaml, temporaryFolder } from "./fixture";

const REPOSITORY = "ragstar-sc-refusals";
let key: KeyPair;
let otherKey: KeyPair;
const refs: Record<"good" | "unsigned" | "wrongKey" | "otherImage" | "noSbom", string> = {} as never;

const sigTag = (ref: string) => `${parseImageReference(ref).digest.replace(":", "-")}.sig`;
const signingKey = (pair: KeyPair) => ({ privateKeyPem: pair.privateKeyPem, password: pair.password });

beforeAll(async () => {
    key = generateKeyPair(`k1-${randomBytes(6).toString("hex")}`);
    otherKey = generateKeyPair(`k2-${randomBytes(6).toString("hex")}`);
    const base = pushProjectImage(REPOSITORY);
    const login = logins(registry());
    const sbomFile = path.join(temporaryFolder("ragstar-sbom-"), "sbom.json");
    refs.good = base;
    generateSbom(base, sbomFile, login);
    signImage(base, signingKey(key), login);
    attestSbom(base, sbomFile, signingKey(key), login);

    refs.unsigned = pushDerivedImage(base, REPOSITORY, "unsigned");
    refs.wrongKey = pushDerivedImage(base, REPOSITORY, "wrong-key");
    signImage(refs.wrongKey, signingKey(otherKey), login);
    attestSbom(refs.wrongKey, sbomFile, signingKey(otherKey), login);
    refs.noSbom = pushDerivedImage(base, REPOSITORY, "no-sbom");
    signImage(refs.noSbom, signingKey(key), login);
    // The good image's signature (by the right key) put under the other image's signature tag, as
    // a registry writer could: the bytes verify, the digest they name does not match.
    refs.otherImage = pushDerivedImage(base, REPOSITORY, "other-image");
    const signature = await getManifest(registry(), REPOSITORY, sigTag(base));
    expect(signature.status).toBe(200);
    expect(await putManifest(registry(), REPOSITORY, sigTag(refs.otherImage), signature.body, signature.mediaType)).toBe(201);
});

const REASONS = [
    ["unsigned", "unsigned", "is not signed: no signature for this digest"],
    ["wrongKey", "wrong-key", "is not signed by the configured key SHA256:"],
    ["otherImage", "other-image", "carries a signature made for another image: the signature names another digest"],
    ["noSbom", "no-sbom", "is signed, but has no SBOM attestation signed by the configured key SHA256:"],
] as const;

function promote(ref: string) {
    const root = promotionRoot(ref, { stack: "staging", yaml: targetStackYaml(`${registry().registry}/placeholder@sha256:${"0".repeat(64)}`, { publicKeyPem: key.publicKeyPem }) });
    const run = runCommand("promote", ["--root", root, "--from", "dev", "--to", "staging"], { REGISTRY_USERNAME: registry().username, REGISTRY_PASSWORD: registry().password });
    return { ...run, stackFile: fs.readFileSync(path.join(root, "Pulumi.staging.yaml"), "utf8") };
}

/** Every refusal line, printed at the end: what a user reads, for the docs and the CI log. */
const refusals: string[] = [];
afterAll(() => console.log(`${refusals.length} refusals, each one line:\n${refusals.join("\n")}`));

describe("promote", () => {
    test.each(REASONS)("refuses the %s digest (%s) in one line naming the digest and the reason", (name, _failure, reason) => {
        const ref = refs[name];
        const run = promote(ref);
        expect(run.status).toBe(1);
        const lines = run.stderr.trimEnd().split("\n");
        refusals.push(lines[0]);
        expect(lines).toHaveLength(1);
        expect(lines[0].startsWith(`promotion refused: ${ref} ${reason}`)).toBe(true);
        expect(lines[0]).toMatch(/\(ragstar:supplyChain\.verify is on in Pulumi\.staging\.yaml\)$/);
        expect(run.stackFile).not.toContain(ref);
        for (const secret of [registry().password, key.password]) expect(`${run.stdout}${run.stderr}`).not.toContain(secret);
    });

    test("takes the digest signed and attested by the key, and writes it", () => {
        const run = promote(refs.good);
        expect(run.stderr).toBe("");
        expect(run.status).toBe(0);
        expect(run.stdout).toContain(`signature check: ${refs.good} is signed by key ${publicKeyFingerprint(key.publicKeyPem)} and has its SBOM (`);
        expect(run.stackFile).toContain(`ref: ${refs.good}`);
    });
});

describe("the program (ragstar:supplyChain.verify on), with cosign against the registry", () => {
    async function program(ref: string): Promise<{ registered: string[]; error?: unknown }> {
        const key_ = key.publicKeyPem.trimEnd().split("\n").map((l) => `      ${l}`).join("\n");
        const yaml = `config:\n  ragstar:namespace: ragstar-staging\n  ragstar:image:\n    ref: ${ref}\n    username: ${registry().username}\n  ragstar:registryPassword:\n    secure: v1:cGFzc3dvcmQ=\n  ragstar:supplyChain:\n    verify: true\n    publicKey: |\n${key_}\n`;
        const dir = projectWith("staging", yaml);
        const { config, secretKeys } = readStackFile(path.join(dir, "Pulumi.staging.yaml"), "ragstar");
        pulumi.runtime.setAllConfig({ ...config, "ragstar:registryPassword": registry().password }, secretKeys);
        const registered: string[] = [];
        await pulumi.runtime.setMocks({ newResource: (args) => (registered.push(args.type), { id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs }, "ragstar", "staging", false);
        try {
            ragstarProgram(dir);
        } catch (error) {
            return { registered, error };
        }
        const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
        await settings.waitForRPCs();
        return { registered };
    }

    test.each(REASONS)("refuses the %s digest (%s) before registering anything", async (name, _failure, reason) => {
        const ref = refs[name];
        const { registered, error } = await program(ref);
        expect(error).toBeInstanceOf(ConfigError);
        const problems = (error as ConfigError).problems;
        expect(problems).toHaveLength(1);
        refusals.push(problems[0]);
        expect(problems[0].startsWith(`ragstar:image.ref: ${ref} ${reason}`)).toBe(true);
        expect(problems[0]).not.toContain(registry().password);
        expect(registered).toEqual([]);
    });

    test("deploys the digest signed and attested by the key", async () => {
        const { registered, error } = await program(refs.good);
        expect(error).toBeUndefined();
        expect(registered).toContain("kubernetes:apps/v1:Deployment");
    });
});

afterAll(() => removeTemporaryFolders());

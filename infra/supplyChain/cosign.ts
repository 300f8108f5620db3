/**
 * cosign (github.com/sigstore/cosign v2), run as a child process: sign an image digest, attach its
 * SBOM as a signed in-toto attestation, verify both against a public key, and copy an image with
 * its signatures and attestations to another registry by digest.
 *
 * Where things live in the registry (cosign's tag scheme, used because Debian's registry 2.8 has
 * no OCI referrers API): the signature of `REPO@sha256:<hex>` is the tag `REPO:sha256-<hex>.sig`,
 * its attestations `REPO:sha256-<hex>.att`. A signature's payload names the digest it signs
 * (`critical.image.docker-manifest-digest`), so a signature copied onto another image's tag does
 * not verify there.
 *
 * Secrets: the private key and its password reach cosign only through its environment (cosign's
 * `env://` key references and `COSIGN_PASSWORD`), registry passwords only through a client config
 * of the call's own (registryAuth.ts); none is on a command line, and cosign's output, which these
 * functions return, holds none of them.
 *
 * No transparency log: signing does not upload to Rekor (`--tlog-upload=false`) and verification
 * does not ask for an entry (`--insecure-ignore-tlog`), as the registries here reach no public
 * Sigstore service; the key pair is the trust root (docs/supply-chain.md says what that leaves out).
 */
import { spawnSync } from "node:child_process";

import { parseImageReference } from "../imageReference";
import { isLoopbackHost } from "../loopback";
import { privateClientConfig, type RegistryLogins } from "./registryAuth";

/** A cosign private key (the PEM `cosign generate-key-pair` writes, encrypted) and its password. */
export interface SigningKey {
    /** `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----` … (or `ENCRYPTED COSIGN PRIVATE KEY`). */
    privateKeyPem: string;
    password: string;
}

/** What cosign printed and how it ended. */
export interface CosignRun {
    status: number | null;
    stdout: string;
    stderr: string;
}

/**
 * Why a verification failed, in the words `promote` and the program print:
 * - `unsigned`: no signature at all for the digest;
 * - `wrong-key`: signatures exist, none made by the configured key;
 * - `other-image`: a signature by the key is there, but it signs another digest (copied onto this one's tag);
 * - `no-sbom`: signed, but no SBOM attestation (SPDX) by the key;
 * - `unreachable`: the registry could not be asked;
 * - `failed`: anything else (cosign's last line says what).
 */
export type VerificationFailure = "unsigned" | "wrong-key" | "other-image" | "no-sbom" | "unreachable" | "failed";

/** The outcome of a verification. */
export type Verification = { ok: true } | { ok: false; failure: VerificationFailure; detail: string };

/** The predicate type cosign gives `--type spdxjson` (the SPDX JSON document is the predicate). */
export const SPDX_PREDICATE_TYPE = "https://spdx.dev/Document";

/** The cosign binary: `COSIGN` (scripts/with-supply-chain sets it), else `cosign` on PATH. */
export function cosignBinary(env: NodeJS.ProcessEnv = process.env): string {
    return env.COSIGN || "cosign";
}

/** `--allow-http-registry` when the image's registry is on loopback (plain HTTP, as Docker assumes there). */
function registryFlags(ref: string): string[] {
    const host = parseImageReference(ref).registry.replace(/:\d+$/, "");
    return isLoopbackHost(host) ? ["--allow-http-registry"] : [];
}

/**
 * Run cosign with registry logins and extra environment (the key material), nothing else of the
 * caller's secrets: the child's environment is PATH plus what is passed.
 *
 * @param timeoutMs the whole run, milliseconds
 */
export function runCosign(args: string[], options: { logins?: RegistryLogins; env?: Record<string, string>; timeoutMs?: number } = {}): CosignRun {
    const config = privateClientConfig(options.logins ?? {});
    try {
        const run = spawnSync(cosignBinary(), args, {
            encoding: "utf8",
            timeout: options.timeoutMs ?? 120_000,
            env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...config.env, ...options.env },
            maxBuffer: 64 * 1024 * 1024,
        });
        if (run.error) return { status: null, stdout: "", stderr: `cosign could not run (${cosignBinary()}): ${(run.error as NodeJS.ErrnoException).code ?? run.error.message}` };
        return { status: run.status, stdout: run.stdout, stderr: run.stderr };
    } finally {
        config.dispose();
    }
}

const KEY_ENV = "RAGSTAR_COSIGN_KEY";

function signingEnv(key: SigningKey): Record<string, string> {
    return { [KEY_ENV]: key.privateKeyPem, COSIGN_PASSWORD: key.password };
}

/** The last non-empty line of cosign's output, without its `Error: ` prefix: what a one-line message quotes. */
export function lastLine(run: CosignRun): string {
    const lines = `${run.stderr}\n${run.stdout}`.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("WARNING"));
    return (lines.find((l) => /^Error:/.test(l)) ?? lines.pop() ?? `exit status ${run.status}`).replace(/^Error:\s*/, "").replace(/^main\.go:\d+: /, "");
}

/** @throws Error naming the command and cosign's last line when it fails */
function ok(run: CosignRun, what: string): CosignRun {
    if (run.status !== 0) throw new Error(`${what} failed: ${lastLine(run)}`);
    return run;
}

/**
 * Sign `ref` (digest-pinned) with the key: pushes `REPO:sha256-<hex>.sig`.
 *
 * @throws Error with cosign's last line on failure (a wrong password says "decrypt")
 */
export function signImage(ref: string, key: SigningKey, logins: RegistryLogins): void {
    ok(runCosign(["sign", "--yes", "--key", `env://${KEY_ENV}`, "--tlog-upload=false", ...registryFlags(ref), ref], { logins, env: signingEnv(key) }), `cosign sign ${ref}`);
}

/**
 * Attach an SPDX JSON SBOM to `ref` as an in-toto attestation signed with the key (predicate type
 * `SPDX_PREDICATE_TYPE`): pushes `REPO:sha256-<hex>.att`.
 *
 * @param sbomFile the SPDX JSON document (syft.ts writes it)
 * @throws Error with cosign's last line on failure
 */
export function attestSbom(ref: string, sbomFile: string, key: SigningKey, logins: RegistryLogins): void {
    ok(
        runCosign(["attest", "--yes", "--key", `env://${KEY_ENV}`, "--type", "spdxjson", "--predicate", sbomFile, "--tlog-upload=false", ...registryFlags(ref), ref], { logins, env: signingEnv(key), timeoutMs: 300_000 }),
        `cosign attest ${ref}`,
    );
}

/** The public key (PEM) of a signing key, as cosign derives it. @throws Error when the key or password is wrong */
export function publicKeyOf(key: SigningKey): string {
    return ok(runCosign(["public-key", "--key", `env://${KEY_ENV}`], { env: signingEnv(key) }), "cosign public-key").stdout;
}

/**
 * The reasons of a failed `cosign verify` / `verify-attestation`, in the order they are tried, each
 * with the pattern of cosign v2's error text (pkg/cosign/errors.go, pkg/cosign/verify.go). cosign
 * reports one error per signature it tried, so the most telling comes first: a signature by the
 * key over another digest outranks signatures by other keys beside it.
 */
const FAILURE_PATTERNS: [VerificationFailure, RegExp, boolean][] = [
    ["other-image", /invalid or missing digest in claim[^\n]*/, false],
    ["wrong-key", /invalid signature when validating[^\n]*|failed to verify signature[^\n]*|signature verification failed[^\n]*/i, false],
    ["no-sbom", /no matching attestations[^\n]*|none of the attestations matched[^\n]*|no attestations found[^\n]*/i, true],
    ["unsigned", /no signatures found[^\n]*|no matching signatures[^\n]*/i, false],
    ["unreachable", /connection refused[^\n]*|no such host[^\n]*|i\/o timeout[^\n]*|UNAUTHORIZED[^\n]*|DENIED[^\n]*|unexpected status code 401[^\n]*/i, false],
];

/**
 * Name the reason of a failed verification from cosign's output, and quote the line that says it
 * (else cosign's last line).
 *
 * @param attestation whether the run was `verify-attestation` (only then is "no matching attestations" a missing SBOM)
 */
export function classifyFailure(run: CosignRun, attestation: boolean): { failure: VerificationFailure; detail: string } {
    const text = `${run.stderr}\n${run.stdout}`;
    for (const [failure, pattern, attestationOnly] of FAILURE_PATTERNS) {
        if (attestationOnly && !attestation) continue;
        const match = pattern.exec(text);
        if (match) return { failure, detail: match[0].trim().replace(/^error during command execution: /, "") };
    }
    return { failure: "failed", detail: lastLine(run) };
}

function verifyArgs(command: "verify" | "verify-attestation", ref: string): string[] {
    const typeArgs = command === "verify-attestation" ? ["--type", "spdxjson"] : [];
    return [command, "--key", "env://RAGSTAR_COSIGN_PUBLIC_KEY", "--insecure-ignore-tlog=true", ...typeArgs, ...registryFlags(ref), ref];
}

/**
 * Is `ref` signed by the key whose public half is `publicKeyPem`? cosign checks the signature over
 * the payload and that the payload names `ref`'s digest.
 */
export function verifySignature(ref: string, publicKeyPem: string, logins: RegistryLogins): Verification {
    const run = runCosign(verifyArgs("verify", ref), { logins, env: { RAGSTAR_COSIGN_PUBLIC_KEY: publicKeyPem } });
    return run.status === 0 ? { ok: true } : { ok: false, ...classifyFailure(run, false) };
}

/** An SBOM attestation that verified: the SPDX document it carries. */
export type SbomVerification = { ok: true; sbom: SpdxDocument } | { ok: false; failure: VerificationFailure; detail: string };

/** The parts of an SPDX 2.3 JSON document read here. */
export interface SpdxDocument {
    spdxVersion: string;
    name: string;
    packages?: { name: string; versionInfo?: string; sourceInfo?: string; externalRefs?: { referenceType: string; referenceLocator: string }[] }[];
}

/**
 * Does `ref` carry an SPDX SBOM attestation signed by the key, about `ref`'s digest? Returns the
 * SBOM (the newest, when there are several). Never throws: output cosign should not print is a
 * `failed` verification.
 */
export function verifySbomAttestation(ref: string, publicKeyPem: string, logins: RegistryLogins): SbomVerification {
    const run = runCosign(verifyArgs("verify-attestation", ref), { logins, env: { RAGSTAR_COSIGN_PUBLIC_KEY: publicKeyPem }, timeoutMs: 300_000 });
    if (run.status !== 0) return { ok: false, ...classifyFailure(run, true) };
    const digest = parseImageReference(ref).digest.replace(/^sha256:/, "");
    // One DSSE envelope per line; its payload is the in-toto statement (base64).
    let statements: InTotoStatement[];
    try {
        statements = run.stdout
            .split("\n")
            .filter((line) => line.trim().startsWith("{"))
            .map((line) => JSON.parse(Buffer.from((JSON.parse(line) as { payload: string }).payload, "base64").toString("utf8")) as InTotoStatement);
    } catch (error) {
        return { ok: false, failure: "failed", detail: `cosign printed an attestation that is not a DSSE envelope of JSON: ${(error as Error).message}` };
    }
    const about = statements.filter((s) => s.predicateType === SPDX_PREDICATE_TYPE && s.subject.some((subject) => subject.digest.sha256 === digest));
    if (about.length === 0) return { ok: false, failure: "no-sbom", detail: `no SPDX attestation names ${ref}'s digest (${statements.length} statement(s) verified)` };
    return { ok: true, sbom: about[about.length - 1].predicate };
}

interface InTotoStatement {
    predicateType: string;
    subject: { name: string; digest: { sha256: string } }[];
    predicate: SpdxDocument;
}

/**
 * Copy `source` (digest-pinned) with its signatures and attestations to `targetRepository`
 * (`REGISTRY/REPOSITORY`) by digest: the manifest (for an index, each platform's manifest too),
 * then `sha256-<hex>.sig` and `.att`. `cosign copy` refuses to replace a tag the target holds
 * with different content (no `--force` here).
 *
 * @returns the target's digest-pinned reference (the same digest)
 * @throws Error with cosign's last line; "already exists" when the target holds a different
 *   manifest under one of those tags
 * (cosign walks an index's platform manifests too; only single-platform images are tested here.)
 */
export function copySigned(source: string, targetRepository: string, logins: RegistryLogins): string {
    const { digest } = parseImageReference(source);
    const target = `${targetRepository}@${digest}`;
    const flags = [...new Set([...registryFlags(source), ...registryFlags(target)])];
    ok(runCosign(["copy", ...flags, source, target], { logins, timeoutMs: 600_000 }), `cosign copy ${source} → ${targetRepository}`);
    return target;
}

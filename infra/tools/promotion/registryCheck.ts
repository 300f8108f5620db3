/**
 * Does the registry hold the manifest a digest-pinned reference names? A HEAD request to
 * the registry API (`/v2/<name>/manifests/<digest>`,
 * https://distribution.github.io/distribution/spec/api/#existing-manifests) with basic
 * credentials, or a bearer token obtained as the token authentication spec describes
 * (https://distribution.github.io/distribution/spec/auth/token/).
 */
import type { ImageReference } from "../../imageReference";
import { isLoopbackHost } from "../../loopback";


/**
 * The outcome of the check. `mismatch`: the registry answered 200 but its `Docker-Content-Digest`
 * (the digest of what it serves) is another digest, or absent, so it does not vouch for ours.
 */
export type ManifestCheck = { status: "present" } | { status: "missing" } | { status: "mismatch"; served: string | undefined } | { status: "unreachable"; reason: string };

const MANIFEST_TYPES = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
].join(", ");

/** Registries on loopback speak plain HTTP (as Docker assumes for them); all others HTTPS. */
export function registryBaseUrl(registry: string): string {
    const host = registry.replace(/:\d+$/, "");
    return isLoopbackHost(host) ? `http://${registry}` : `https://${registry}`;
}

function parseChallenge(header: string): Record<string, string> {
    const params: Record<string, string> = {};
    for (const match of header.replace(/^Bearer\s+/i, "").matchAll(/(\w+)="([^"]*)"/g)) params[match[1]] = match[2];
    return params;
}

/**
 * Check that the registry serves the manifest of `reference`.
 *
 * @param credentials optional basic credentials (e.g. from REGISTRY_USERNAME/REGISTRY_PASSWORD)
 * @param timeoutMs per request, milliseconds
 */
export async function checkManifest(reference: ImageReference, credentials?: { username: string; password: string }, timeoutMs = 10_000): Promise<ManifestCheck> {
    const url = `${registryBaseUrl(reference.registry)}/v2/${reference.repository}/manifests/${reference.digest}`;
    const basic = credentials ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64")}` : undefined;
    const head = (authorization?: string) =>
        fetch(url, { method: "HEAD", headers: { Accept: MANIFEST_TYPES, ...(authorization ? { Authorization: authorization } : {}) }, signal: AbortSignal.timeout(timeoutMs) });
    try {
        let response = await head(basic);
        const challenge = response.headers.get("www-authenticate") ?? "";
        if (response.status === 401 && /^Bearer/i.test(challenge)) {
            const { realm, service, scope } = parseChallenge(challenge);
            const tokenUrl = new URL(realm);
            if (service) tokenUrl.searchParams.set("service", service);
            tokenUrl.searchParams.set("scope", scope ?? `repository:${reference.repository}:pull`);
            const tokenResponse = await fetch(tokenUrl, { headers: basic ? { Authorization: basic } : {}, signal: AbortSignal.timeout(timeoutMs) });
            if (!tokenResponse.ok) return { status: "unreachable", reason: `token endpoint ${tokenUrl.origin} answered ${tokenResponse.status}` };
            const body = (await tokenResponse.json()) as { token?: string; access_token?: string };
            response = await head(`Bearer ${body.token ?? body.access_token}`);
        }
        if (response.status === 200) {
            // A proxy or a tag-resolving registry can answer 200 for something else; the header says what.
            const served = response.headers.get("docker-content-digest") ?? undefined;
            return served === reference.digest ? { status: "present" } : { status: "mismatch", served };
        }
        if (response.status === 404) return { status: "missing" };
        if (response.status === 401 || response.status === 403) {
            return { status: "unreachable", reason: `${url} answered ${response.status}: set REGISTRY_USERNAME and REGISTRY_PASSWORD to credentials that may pull ${reference.repository}` };
        }
        return { status: "unreachable", reason: `${url} answered ${response.status}` };
    } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        return { status: "unreachable", reason: `${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
    }
}

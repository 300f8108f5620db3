/**
 * Pull credentials for the kubelet: the `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson`
 * Secret, as pure functions of the registry host and the credentials. The program calls them
 * inside `pulumi.all(...).apply`, so the result stays a Pulumi secret; they never log or throw
 * with the password in the message.
 */
import { firstComponent, isRegistryHost } from "../imageReference";

/** Name of the pull Secret the stack manages when `ragstar:image.pullSecret` is unset. */
export const MANAGED_PULL_SECRET_NAME = "ragstar-registry";

/** The key Docker (and the kubelet's keyring) use for Docker Hub in `auths`. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/**
 * The registry an image reference or a `host[:port][/path]` registry setting names, as the key of
 * `auths`: `registry.example.com:5000/team/ragstar@sha256:…` → `registry.example.com:5000`. As in
 * Docker's reference grammar (`isRegistryHost`, infra/imageReference.ts), the first component is a
 * host only if it contains `.` or `:` or is `localhost`; otherwise (and for `docker.io`,
 * `index.docker.io`) the image is on Docker Hub. A setting without `/` is a bare host.
 *
 * @param reference an image reference or a registry `host[:port][/path]`
 * @returns `host[:port]`, or `https://index.docker.io/v1/` for Docker Hub
 */
export function registryHost(reference: string): string {
    const first = firstComponent(reference);
    const isHost = reference.includes("/") ? isRegistryHost(first) : true;
    if (!isHost || first === "docker.io" || first === "index.docker.io") return DOCKER_HUB_AUTH_KEY;
    return first;
}

/**
 * The `.dockerconfigjson` value: `{"auths":{"<host>":{"username","password","auth"}}}` where `auth`
 * is base64 of `username:password` (what `docker login` writes and the kubelet reads).
 *
 * @param host `host[:port]` (see `registryHost`)
 * @returns the JSON text, without a trailing newline
 */
export function dockerConfigJson(host: string, username: string, password: string): string {
    const auth = Buffer.from(`${username}:${password}`, "utf8").toString("base64");
    return JSON.stringify({ auths: { [host]: { username, password, auth } } });
}

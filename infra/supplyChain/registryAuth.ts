/**
 * Registry credentials for a child process (cosign, syft), without a command line or a file the
 * caller keeps: a Docker client config (`config.json`, the format every registry client reads
 * through go-containerregistry's default keychain) in a temporary folder of the call's own, mode
 * 0700, removed when the call returns. The process finds it through `DOCKER_CONFIG`; `HOME` points
 * into the same folder, so nothing the tools cache (cosign's `~/.sigstore`) outlives the call.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

/** Basic credentials for one registry. */
export interface RegistryLogin {
    username: string;
    password: string;
}

/** Credentials by registry (`host[:port]`, as in an image reference). */
export type RegistryLogins = Record<string, RegistryLogin>;

/** The environment a child process gets: `DOCKER_CONFIG` and `HOME` set to the private folder. */
export interface PrivateClientConfig {
    env: Record<string, string>;
    /** The folder; removed by `dispose`. */
    dir: string;
    dispose(): void;
}

/**
 * Write the logins into a fresh private folder.
 *
 * @param logins the registries to authenticate to; none gives an empty config (anonymous pulls)
 * @throws Error (node:fs) when the temporary folder cannot be made or written
 */
export function privateClientConfig(logins: RegistryLogins): PrivateClientConfig {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ragstar-registry-auth-"));
    fs.chmodSync(dir, 0o700);
    const auths = Object.fromEntries(Object.entries(logins).map(([registry, login]) => [registry, { auth: Buffer.from(`${login.username}:${login.password}`).toString("base64") }]));
    fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ auths }), { mode: 0o600 });
    return { env: { DOCKER_CONFIG: dir, HOME: dir }, dir, dispose: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The login the environment holds for one registry: `<PREFIX>_USERNAME` / `<PREFIX>_PASSWORD`
 * (`REGISTRY_…`: the push registry and a promotion's source, as the image push and `promote`
 * read them; `TARGET_REGISTRY_…`: a cross-registry promotion's target). Empty when either is unset.
 */
export function loginFromEnv(registry: string, prefix: "REGISTRY" | "TARGET_REGISTRY" = "REGISTRY", env: NodeJS.ProcessEnv = process.env): RegistryLogins {
    const username = env[`${prefix}_USERNAME`];
    const password = env[`${prefix}_PASSWORD`];
    return username && password ? { [registry]: { username, password } } : {};
}

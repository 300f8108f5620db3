/**
 * The service's secrets, one row each: the stack config key that holds it, the service
 * setting it fills, the file the Secret `ragstar-secrets` carries it in, and the environment
 * variable that tells the service where that file is. The stack config, the service config
 * builder and the program all read this table, so a secret is added in one place.
 *
 * Source of the service's side (src/ragstar/config.py): a secret is a field of `Settings` that
 * `PublicSettings` lacks (its `SECRET_KEYS`); the service reads it from the file named by
 * `RAGSTAR_<SETTING>_FILE` (`env_name(key) + "_FILE"`, the setting upper-cased), and refuses
 * it in ragstar.yaml. tests/infra/serviceSecrets.test.ts checks this table against that code.
 */

/** Name of the Secret that carries the service secrets' files (never a pull Secret). */
export const SERVICE_SECRET_NAME = "ragstar-secrets";

/** One service secret. */
export interface ServiceSecret {
    /** Stack config key, without the `ragstar:` namespace, e.g. `adminToken`; set with `pulumi config set --secret`. */
    configKey: string;
    /** The service's setting (a `Settings` field, also the `ragstar:app` key that is refused), e.g. `admin_token`. */
    setting: string;
    /** File name in the Secret `ragstar-secrets` and under its mount path, e.g. `admin_token`. */
    fileName: string;
    /** Environment variable naming the mounted file, e.g. `RAGSTAR_ADMIN_TOKEN_FILE`. */
    envVar: string;
}

/** Every service secret, in the order messages list them. */
export const SERVICE_SECRETS = [
    { configKey: "adminToken", setting: "admin_token", fileName: "admin_token", envVar: "RAGSTAR_ADMIN_TOKEN_FILE" },
    { configKey: "buildToken", setting: "build_token", fileName: "build_token", envVar: "RAGSTAR_BUILD_TOKEN_FILE" },
    { configKey: "githubToken", setting: "github_token", fileName: "github_token", envVar: "RAGSTAR_GITHUB_TOKEN_FILE" },
    { configKey: "ollamaApiKey", setting: "ollama_api_key", fileName: "ollama_api_key", envVar: "RAGSTAR_OLLAMA_API_KEY_FILE" },
    { configKey: "databaseUrl", setting: "database_url", fileName: "database_url", envVar: "RAGSTAR_DATABASE_URL_FILE" },
] as const satisfies readonly ServiceSecret[];

/** A service secret's stack config key: `adminToken` | `buildToken` | `githubToken` | `ollamaApiKey` | `databaseUrl`. */
export type ServiceSecretKey = (typeof SERVICE_SECRETS)[number]["configKey"];

/** The stack config keys of the service secrets, in table order. */
export const SERVICE_SECRET_KEYS: readonly ServiceSecretKey[] = SERVICE_SECRETS.map((secret) => secret.configKey);

/**
 * The row of a stack config key.
 *
 * @throws Error for a key that is not a service secret (a programming error: keys come from this table)
 */
export function serviceSecret(configKey: ServiceSecretKey): ServiceSecret {
    const found = SERVICE_SECRETS.find((secret) => secret.configKey === configKey);
    if (!found) throw new Error(`${configKey} is not a service secret`);
    return found;
}

/** The row whose service setting is `setting` (e.g. a `ragstar:app` key), or undefined when it is not a secret. */
export function serviceSecretOfSetting(setting: string): ServiceSecret | undefined {
    return SERVICE_SECRETS.find((secret) => secret.setting === setting);
}

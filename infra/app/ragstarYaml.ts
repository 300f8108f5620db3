/**
 * The service's `ragstar.yaml` as the ConfigMap carries it: the repository's defaults
 * file with the stack's `ragstar:app` overrides merged over it, validated against the
 * service's own JSON Schema (`src/ragstar/config.schema.json`, generated from the
 * pydantic model with `python -m ragstar.config --schema`), so the deploy code and the
 * service agree on what a valid config is.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

import Ajv from "ajv";
import { stringify } from "yaml";

import { serviceSecretOfSetting } from "../config/serviceSecrets";
import { ConfigError } from "../errors";
import { parseYaml } from "../yamlText";

/** The rendered config file and facts taken from it. */
export interface AppConfigFile {
    /** YAML text of the merged config, keys sorted, stable for identical input. */
    text: string;
    /** The merged values. */
    values: Record<string, unknown>;
    /** First 10 hex digits of the SHA-256 of `text`: names the ConfigMap so a change rolls the pods. */
    contentHash: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

function valueAt(root: Record<string, unknown>, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((current, key) => (isPlainObject(current) ? current[key] : undefined), root);
}

/** Overrides win; nested mappings merge key by key; lists and scalars are replaced whole. */
export function mergeConfig(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(overrides)) {
        merged[key] = isPlainObject(value) && isPlainObject(merged[key]) ? mergeConfig(merged[key] as Record<string, unknown>, value) : value;
    }
    return merged;
}

/**
 * Merge and validate the service config.
 *
 * @param defaultsFile path of the repository's ragstar.yaml
 * @param schemaFile path of the service's JSON Schema
 * @param overrides the stack's `ragstar:app` object
 * @throws ConfigError naming the file (YAML syntax, with line) or the `ragstar:app.<key>` (schema)
 */
export function buildAppConfig(defaultsFile: string, schemaFile: string, overrides: Record<string, unknown>): AppConfigFile {
    // Name files relative to the project root (where ragstar.yaml lives), so messages are machine-independent.
    const projectRoot = path.dirname(defaultsFile);
    const shownDefaults = path.basename(defaultsFile);
    const parsed = parseYaml(fs.readFileSync(defaultsFile, "utf8"), "ragstar.yaml");
    if ("problems" in parsed) throw new ConfigError(shownDefaults, parsed.problems.map((p) => `${shownDefaults}:${p.replace(/^line (\S+): /, "$1: ")}`));
    const defaults = (parsed.value ?? {}) as unknown;
    if (!isPlainObject(defaults)) throw new ConfigError(shownDefaults, [`${shownDefaults}: must be a YAML mapping of keys to values`]);

    const problems: string[] = [];
    // The service accepts its secrets only from files or env (config/serviceSecrets.ts), never in the ConfigMap.
    for (const key of Object.keys(overrides)) {
        const secret = serviceSecretOfSetting(key);
        if (secret) problems.push(`ragstar:app.${key}: is a secret and cannot go in the ConfigMap; set it with \`pulumi config set --secret ragstar:${secret.configKey}\``);
    }
    if (problems.length > 0) throw new ConfigError("service config", problems);

    const values = mergeConfig(defaults, overrides);
    const schema = JSON.parse(fs.readFileSync(schemaFile, "utf8")) as object;
    const shownSchema = path.relative(projectRoot, schemaFile);
    const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
    if (!validate(values)) {
        for (const error of validate.errors ?? []) {
            const params = error.params as { additionalProperty?: string; allowedValues?: unknown[]; pattern?: string };
            const key = [error.instancePath.replace(/^\//, "").replace(/\//g, "."), params.additionalProperty].filter((part) => part !== undefined && part !== "").join(".");
            const origin = key.split(".")[0] in overrides ? `ragstar:app.${key}` : `${shownDefaults}: ${key}`;
            const value = params.additionalProperty === undefined ? ` ${JSON.stringify(valueAt(values, key))}:` : "";
            const allowed = params.allowedValues
                ? ` (allowed: ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")})`
                : params.additionalProperty !== undefined
                  ? ` (allowed keys: ${Object.keys((schema as { properties?: object }).properties ?? {}).join(", ")})`
                  : "";
            problems.push(`${origin}:${value} ${error.message ?? "invalid"}${allowed} (schema ${shownSchema})`);
        }
        throw new ConfigError("service config", problems);
    }
    const text = `# ragstar.yaml rendered by RAGstar deploy: ${path.basename(defaultsFile)} with the stack's ragstar:app overrides.\n${stringify(values, { sortMapEntries: true })}`;
    return { text, values, contentHash: crypto.createHash("sha256").update(text).digest("hex").slice(0, 10) };
}

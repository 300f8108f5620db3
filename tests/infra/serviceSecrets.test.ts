/**
 * The table of service secrets (infra/config/serviceSecrets.ts) against the service's own code
 * (src/ragstar/config.py), read with Python's `ast` module rather than a regex: the secret
 * settings, how the service names the file variable, and every deploy-side user of the table.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

import { buildAppConfig } from "../../infra/app/ragstarYaml";
import { SERVICE_SECRETS, SERVICE_SECRET_KEYS, serviceSecret, serviceSecretOfSetting } from "../../infra/config/serviceSecrets";
import { SECRET_KEYS } from "../../infra/config/stackConfig";
import { ConfigError } from "../../infra/errors";
import { renderStack } from "../../infra/tools/render/render";
import { projectWith, REPO_ROOT } from "./projectFixture";
import { thrown } from "./thrown";

/** What the Python module says, as `ast` sees it. */
interface PythonConfig {
    /** Field → annotation source, own and inherited, of each pydantic model class. */
    fields: Record<string, Record<string, string>>;
    /** Module-level `NAME = "constant"` assignments. */
    constants: Record<string, string>;
    /** Source of the right-hand side of `SECRET_KEYS = ...`. */
    secretKeysRule: string;
    /** Source of `env_name`'s return expression. */
    envNameRule: string;
    /** Source of every f-string in `load_settings`. */
    loadSettingsFStrings: string[];
}

const PYTHON = String.raw`
import ast, json, sys

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}

def fields(name):
    cls = classes[name]
    out = {}
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id in classes:
            out.update(fields(base.id))
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            annotation = ast.unparse(stmt.annotation)
            if not stmt.target.id.startswith("_") and not annotation.startswith("ClassVar"):
                out[stmt.target.id] = annotation
    return out

functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
assignments = {target.id: node.value for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
               for target in (node.targets if isinstance(node, ast.Assign) else [node.target]) if isinstance(target, ast.Name)}
env_name_return = [node.value for node in ast.walk(functions["env_name"]) if isinstance(node, ast.Return)]
print(json.dumps({
    "fields": {name: fields(name) for name in classes},
    "constants": {name: value.value for name, value in assignments.items() if isinstance(value, ast.Constant) and isinstance(value.value, str)},
    "secretKeysRule": ast.unparse(assignments["SECRET_KEYS"]),
    "envNameRule": ast.unparse(env_name_return[0]),
    "loadSettingsFStrings": [ast.unparse(node) for node in ast.walk(functions["load_settings"]) if isinstance(node, ast.JoinedStr)],
}))
`;

function readPythonConfig(): PythonConfig {
    const run = spawnSync("python3", ["-c", PYTHON, path.join(REPO_ROOT, "src/ragstar/config.py")], { encoding: "utf8" });
    if (run.status !== 0) throw new Error(`python3 could not read src/ragstar/config.py: ${run.stderr || run.error?.message}`);
    return JSON.parse(run.stdout) as PythonConfig;
}

describe("the service secrets table matches src/ragstar/config.py", () => {
    const python = readPythonConfig();
    const settings = python.fields.Settings;
    const publicSettings = python.fields.PublicSettings;

    test("the service's rule for a secret is still: a Settings field that PublicSettings lacks", () => {
        expect(python.secretKeysRule).toBe("tuple(sorted(set(Settings.model_fields) - set(PublicSettings.model_fields)))");
    });

    test("the table has exactly the service's secret settings, each a SecretStr", () => {
        const secretSettings = Object.keys(settings).filter((field) => !(field in publicSettings));
        expect(SERVICE_SECRETS.map((secret) => secret.setting).sort()).toEqual(secretSettings.sort());
        for (const setting of secretSettings) expect(settings[setting]).toMatch(/\bSecretStr\b/);
    });

    test("each environment variable is the one the service reads the file from: RAGSTAR_<SETTING>_FILE", () => {
        // env_name(key) = ENV_PREFIX + key.upper(); load_settings reads f"{name}_FILE" for secret keys.
        expect(python.envNameRule).toBe("ENV_PREFIX + key.upper()");
        expect(python.loadSettingsFStrings).toContain("f'{name}_FILE'");
        const prefix = python.constants.ENV_PREFIX;
        expect(prefix).toBe("RAGSTAR_");
        for (const secret of SERVICE_SECRETS) expect(secret.envVar).toBe(`${prefix}${secret.setting.toUpperCase()}_FILE`);
    });

    test("config keys, settings, files and variables are unique, and files are valid Secret keys", () => {
        for (const column of ["configKey", "setting", "fileName", "envVar"] as const) {
            const values = SERVICE_SECRETS.map((secret) => secret[column]);
            expect(new Set(values).size).toBe(values.length);
        }
        // core/v1 Secret data keys: IsConfigMapKey, [-._a-zA-Z0-9]+.
        for (const secret of SERVICE_SECRETS) expect(secret.fileName).toMatch(/^[-._a-zA-Z0-9]+$/);
    });
});

describe("every deploy-side user of the table agrees with it", () => {
    test("the stack config holds each service secret as a secret key, besides registryPassword", () => {
        expect(SECRET_KEYS).toEqual(["registryPassword", ...SERVICE_SECRET_KEYS]);
        expect(SERVICE_SECRET_KEYS).toEqual(SERVICE_SECRETS.map((secret) => secret.configKey));
        for (const key of SERVICE_SECRET_KEYS) expect(serviceSecret(key).configKey).toBe(key);
    });

    test("the service config refuses each secret setting under ragstar:app and names its config key", () => {
        for (const secret of SERVICE_SECRETS) {
            expect(serviceSecretOfSetting(secret.setting)).toBe(secret);
            const error = thrown(ConfigError, () => buildAppConfig(path.join(REPO_ROOT, "ragstar.yaml"), path.join(REPO_ROOT, "src/ragstar/config.schema.json"), { [secret.setting]: "x" }));
            expect(error.problems).toContain(`ragstar:app.${secret.setting}: is a secret and cannot go in the ConfigMap; set it with \`pulumi config set --secret ragstar:${secret.configKey}\``);
        }
        expect(serviceSecretOfSetting("log_level")).toBeUndefined();
        expect(serviceSecretOfSetting("toString")).toBeUndefined();
    });

    test("the rendered Deployment carries each secret as the table's file, under the table's variable", async () => {
        const lines = SERVICE_SECRETS.flatMap((secret) => [`  ragstar:${secret.configKey}:`, "    secure: v1:c2VjcmV0LWNpcGhlcnRleHQ="]);
        // staging runs the postgres mode, the one that takes every secret (databaseUrl included).
        const staging = `${fs.readFileSync(path.join(REPO_ROOT, "Pulumi.staging.yaml"), "utf8").trimEnd()}\n${lines.join("\n")}\n`;
        const render = await renderStack("staging", projectWith("staging", staging));
        const secret = render.objects.find((o) => o.kind === "Secret" && o.metadata.name === "ragstar-secrets") as Record<string, any>;
        expect(Object.keys(secret.stringData).sort()).toEqual(SERVICE_SECRETS.map((s) => s.fileName).sort());
        const deployment = render.objects.find((o) => o.kind === "Deployment") as Record<string, any>;
        const env = deployment.spec.template.spec.containers[0].env;
        for (const s of SERVICE_SECRETS) expect(env).toContainEqual({ name: s.envVar, value: `/run/secrets/ragstar/${s.fileName}` });
    });
});

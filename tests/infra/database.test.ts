/**
 * `ragstar:database` and the keys it governs (infra/config/database.ts), through the stack config
 * parser: each line names the key, the value and what the mode allows; a secret's value never shows.
 */
import * as pulumi from "@pulumi/pulumi";

import { ConfigError } from "../../infra/errors";
import { DATABASE_URL_KEY, databaseModeProblems, requiredSecretKeys } from "../../infra/config/database";
import { parseStackConfig, type RawConfig } from "../../infra/config/stackConfig";
import { thrown } from "./thrown";

const base: RawConfig = {
    "ragstar:namespace": "ragstar-test",
    "ragstar:image": JSON.stringify({ registry: "registry.example.com:5000" }),
};
const DB_URL_CANARY = "postgresql://ragstar:canary-db-password-4f1c@db.example.com:5432/ragstar";
const postgres: RawConfig = {
    "ragstar:database": "postgres",
    "ragstar:network": JSON.stringify({ database: { namespace: "ragstar-db", podLabels: { "cnpg.io/cluster": "ragstar-db" }, ports: [{ port: 5432 }] } }),
    "ragstar:databaseUrl": DB_URL_CANARY,
};
const parse = (extra: RawConfig, secrets: string[] = []) => parseStackConfig({ ...base, ...extra }, (k) => secrets.includes(k), "Pulumi.test.yaml");
const problemsOf = (extra: RawConfig, secrets: string[] = []) => thrown(ConfigError, () => parse(extra, secrets)).problems;
const SECRET = ["ragstar:databaseUrl"];

test("postgres with the URL and the database's address: replicas, autoscaling, no storage", () => {
    const config = parse({ ...postgres, "ragstar:replicas": "3" }, SECRET);
    expect(config).toMatchObject({ database: "postgres", replicas: 3 });
    expect(config.network.database).toEqual({ namespace: "ragstar-db", podLabels: { "cnpg.io/cluster": "ragstar-db" }, ports: [{ port: 5432, protocol: "TCP" }] });
    expect(pulumi.Output.isInstance(config.serviceSecrets.databaseUrl)).toBe(true);
    const scaled = parse({ ...postgres, "ragstar:autoscaling": JSON.stringify({ maxReplicas: 4 }) }, SECRET);
    expect(scaled.autoscaling).toEqual({ minReplicas: 1, maxReplicas: 4, targetCPUUtilizationPercentage: 70 });
    // The autoscaler owns the count: the Deployment gets none.
    expect(scaled.replicas).toBeUndefined();
    expect(parse({ ...postgres }, SECRET).replicas).toBe(1);
});

test.each([
    ["sqlite: more than one replica", { "ragstar:replicas": "2" }, [], "ragstar:replicas: 2: must be 1 (or 0 to stop it): RAGstar keeps its index in one SQLite database with one writer, so a second pod would stay unready; set ragstar:database to postgres for more replicas"],
    ["sqlite: an autoscaler", { "ragstar:autoscaling": JSON.stringify({ maxReplicas: 3 }) }, [], 'ragstar:autoscaling: {"maxReplicas":3}: needs ragstar:database: postgres: with SQLite there is one writer, so one replica'],
    ["sqlite: a database address", { "ragstar:network": JSON.stringify({ database: { cidr: "10.0.0.0/24", ports: [{ port: 5432 }] } }) }, [], 'ragstar:network.database: {"cidr":"10.0.0.0/24","ports":[{"port":5432}]}: is the PostgreSQL server\'s address for ragstar:database: postgres; SQLite needs none, so remove it'],
    ["sqlite: a database URL", { "ragstar:databaseUrl": DB_URL_CANARY }, SECRET, "ragstar:databaseUrl: [secret]: is set, but ragstar:database is sqlite: the service would use PostgreSQL while the Deployment is built for one SQLite writer; set ragstar:database: postgres, or remove it with `pulumi config rm ragstar:databaseUrl`"],
    ["postgres: a data volume", { ...postgres, "ragstar:storage": JSON.stringify({ size: "1Gi" }) }, SECRET, 'ragstar:storage: {"size":"1Gi"}: must not be set with ragstar:database: postgres: the index lives in the database, so the pods have no data volume'],
    ["postgres: replicas beside an autoscaler", { ...postgres, "ragstar:replicas": "2", "ragstar:autoscaling": JSON.stringify({ maxReplicas: 3 }) }, SECRET, "ragstar:replicas: 2: must not be set beside ragstar:autoscaling: the HorizontalPodAutoscaler owns the replica count (the Deployment leaves it out)"],
    ["postgres: no URL", { "ragstar:database": "postgres", "ragstar:network": postgres["ragstar:network"] }, [], "ragstar:databaseUrl: (unset): required with ragstar:database: postgres: set it with `pulumi config set --secret ragstar:databaseUrl postgresql://USER:PASSWORD@HOST:5432/DB`"],
    ["postgres: no database address", { "ragstar:database": "postgres", "ragstar:databaseUrl": DB_URL_CANARY }, SECRET, "ragstar:network.database: (unset): required with ragstar:database: postgres: the database's address ({cidr, ports}) or pods ({namespace, podLabels?, ports}), which the NetworkPolicy lets the pods reach"],
    ["postgres: a maximum below the minimum", { ...postgres, "ragstar:autoscaling": JSON.stringify({ minReplicas: 3, maxReplicas: 2 }) }, SECRET, "ragstar:autoscaling.maxReplicas: 2: must be at least minReplicas (the API server refuses a smaller maximum)"],
    ["postgres: a minimum of 0", { ...postgres, "ragstar:autoscaling": JSON.stringify({ minReplicas: 0, maxReplicas: 2 }) }, SECRET, "ragstar:autoscaling.minReplicas: 0: must be at least 1"],
    ["postgres: a CPU target of 0", { ...postgres, "ragstar:autoscaling": JSON.stringify({ maxReplicas: 2, targetCPUUtilizationPercentage: 0 }) }, SECRET, "ragstar:autoscaling.targetCPUUtilizationPercentage: 0: must be at least 1"],
    ["an unknown mode", { "ragstar:database": "mysql" }, [], 'ragstar:database: "mysql": expected "sqlite" or "postgres"'],
])("%s: one line with the key, the value and what is allowed", (_name, extra, secrets, line) => {
    const problems = problemsOf(extra as RawConfig, secrets as string[]);
    expect(problems).toContain(line);
    expect(problems.join("\n")).not.toContain("canary-db-password");
});

test("the postgres mode's problems come all at once, beside the schema's", () => {
    const problems = problemsOf({ "ragstar:database": "postgres", "ragstar:storage": JSON.stringify({ size: "1Gi" }), "ragstar:tmpSizeLimit": "big" });
    expect(problems.map((p) => p.split(":").slice(0, 2).join(":")).sort()).toEqual(["ragstar:databaseUrl", "ragstar:network.database", "ragstar:storage", "ragstar:tmpSizeLimit"]);
});

test("an invalid mode leaves the mode rules out (the schema says what it allows)", () => {
    expect(databaseModeProblems({ database: "mysql", replicas: 5, storage: {} }, () => false)).toEqual([]);
});

test("the secrets a mode needs: the URL for postgres only", () => {
    expect(requiredSecretKeys("postgres")).toEqual([DATABASE_URL_KEY]);
    expect(requiredSecretKeys("sqlite")).toEqual([]);
    expect(requiredSecretKeys(undefined)).toEqual([]);
});

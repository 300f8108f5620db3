/** The service's shutdown timings from the grace period (infra/k8s/shutdown.ts), and the program writing them into ragstar.yaml. */
import { EXIT_MARGIN_SECONDS, MAX_DRAIN_SECONDS, MIN_GRACE_SECONDS, shutdownSettings } from "../../infra/k8s/shutdown";
import { ConfigError } from "../../infra/errors";
import { renderStack } from "../../infra/tools/render/render";
import { devStackSetting, devStackWith, projectWith } from "./projectFixture";

test("drain, shutdown and the exit margin add up to the grace period exactly, for every grace period", () => {
    for (let grace = MIN_GRACE_SECONDS; grace <= 3600; grace++) {
        for (const database of ["sqlite", "postgres"] as const) {
            const s = shutdownSettings(grace, database);
            expect(s.drain_seconds + s.shutdown_timeout_seconds + EXIT_MARGIN_SECONDS).toBe(grace);
            expect(s.shutdown_timeout_seconds).toBeGreaterThanOrEqual(1);
            expect(s.drain_seconds).toBeLessThanOrEqual(database === "postgres" ? MAX_DRAIN_SECONDS : 0);
        }
    }
});

test("postgres drains up to 5 s; sqlite (one pod, Recreate) does not drain", () => {
    expect(shutdownSettings(30, "postgres")).toEqual({ drain_seconds: 5, shutdown_timeout_seconds: 23 });
    expect(shutdownSettings(45, "postgres")).toEqual({ drain_seconds: 5, shutdown_timeout_seconds: 38 });
    expect(shutdownSettings(9, "postgres")).toEqual({ drain_seconds: 2, shutdown_timeout_seconds: 5 });
    expect(shutdownSettings(3, "postgres")).toEqual({ drain_seconds: 0, shutdown_timeout_seconds: 1 });
    expect(shutdownSettings(30, "sqlite")).toEqual({ drain_seconds: 0, shutdown_timeout_seconds: 28 });
    expect(() => shutdownSettings(2, "sqlite")).toThrow(RangeError);
});

test("the program writes them into ragstar.yaml, refuses them in ragstar:app, and refuses a grace period they cannot fit", async () => {
    const render = await renderStack("dev", projectWith("dev", devStackWith("  ragstar:terminationGracePeriodSeconds: 12\n")));
    const text = render.objects.find((o) => o.kind === "ConfigMap") as unknown as { data: Record<string, string> };
    expect(text.data["ragstar.yaml"]).toContain("drain_seconds: 0\n");
    expect(text.data["ragstar.yaml"]).toContain("shutdown_timeout_seconds: 10\n");

    const overridden = await renderStack("dev", projectWith("dev", devStackSetting({ "ragstar:app": { log_level: "debug", drain_seconds: 3 } }))).then(() => undefined, (e) => e);
    expect(overridden).toBeInstanceOf(ConfigError);
    expect(overridden.problems).toContain('ragstar:app.drain_seconds: 3: is derived from ragstar:terminationGracePeriodSeconds (docs/database.md, "Draining"); set that instead');

    const short = await renderStack("dev", projectWith("dev", devStackWith("  ragstar:terminationGracePeriodSeconds: 2\n"))).then(() => undefined, (e) => e);
    expect(short).toBeInstanceOf(ConfigError);
    expect(short.problems).toContain("ragstar:terminationGracePeriodSeconds: 2: must be at least 3: the service needs 1 s to shut down and 2 s to exit inside it");
});

/** The ConfigMap builders: the content-addressed name and the one file. */
import { configMapData, configMapName } from "../../infra/k8s/configMap";

test("the name carries the content hash, so a change rolls the pods", () => {
    expect(configMapName("0123456789")).toBe("ragstar-config-0123456789");
});

test("the data holds the file under the name of RAGSTAR_CONFIG_PATH", () => {
    expect(configMapData("/app/config/ragstar.yaml", "log_level: info\n")).toEqual({ "ragstar.yaml": "log_level: info\n" });
    expect(configMapData("/etc/ragstar/service.yaml", "x: 1\n")).toEqual({ "service.yaml": "x: 1\n" });
});

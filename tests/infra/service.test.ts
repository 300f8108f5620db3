/** The Service spec builder. */
import { serviceSpec, SERVICE_PORT } from "../../infra/k8s/service";

test("a ClusterIP on port 80 aimed at the container's named port, selecting the stack's pods", () => {
    expect(serviceSpec("staging")).toEqual({
        type: "ClusterIP",
        selector: { "app.kubernetes.io/name": "ragstar", "app.kubernetes.io/instance": "staging" },
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
    });
    expect(SERVICE_PORT).toBe(80);
});

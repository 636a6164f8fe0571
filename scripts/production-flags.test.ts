import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { PRODUCTION_NODE_FLAGS } from "./build-server";

// The production server is started in two places; the bench measures it with
// PRODUCTION_NODE_FLAGS. A flag changed in one place and not the others would
// make the published numbers describe a server nobody runs.
const root = path.join(import.meta.dirname, "..");

describe("production Node flags", () => {
  it("npm start passes them", () => {
    const start = (JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts.start!;
    expect(start.endsWith(`node ${PRODUCTION_NODE_FLAGS.join(" ")} dist/server.mjs`)).toBe(true);
  });

  it("the Dockerfile's CMD passes them", () => {
    const cmd = readFileSync(path.join(root, "Dockerfile"), "utf8")
      .split("\n")
      .find((line) => line.startsWith("CMD "));
    expect(cmd && JSON.parse(cmd.slice(4))).toEqual(["node", ...PRODUCTION_NODE_FLAGS, "dist/server.mjs"]);
  });
});

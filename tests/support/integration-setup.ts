// Runs in every integration test file (vitest setupFiles), in the same module
// graph as the file: the node-process module here is the one its tests used.
import { afterAll } from "vitest";
import { deleteNodesRedisKeys } from "./node-process";

afterAll(() => deleteNodesRedisKeys());

import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // Route handlers reach the server's services through globalThis (see
  // server/registry.ts); keep heavy server packages out of Next's bundles.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@node-rs/argon2", "pino", "ioredis"],
};

export default nextConfig;

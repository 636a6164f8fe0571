import type { NextConfig } from "next";

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // `npm run dev` opened as http://127.0.0.1:3000 (not localhost) keeps hot reload.
  allowedDevOrigins: ["127.0.0.1"],
  // Route handlers reach the server's services through globalThis (see
  // server/registry.ts); keep heavy server packages out of Next's bundles.
  serverExternalPackages: ["@electric-sql/pglite", "pglite-prisma-adapter", "@node-rs/argon2", "pino", "ioredis"],
};

export default nextConfig;

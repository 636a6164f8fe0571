# Parley: Next.js pages + the custom Socket.IO server, in one image.
# Next's standalone output does not include a custom server, so the image
# carries .next/, the bundled server (dist/server.mjs) and production
# node_modules, and runs `node dist/server.mjs`.

# --- dependencies (with dev tools, for the build) ---
FROM node:20-bookworm-slim AS deps
WORKDIR /app
ENV NEXT_TELEMETRY_DISABLED=1
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
# postinstall runs `prisma generate` (the schema engine is stubbed: no download).
# `npm install`, not `npm ci`: a lockfile written on one platform can lack another
# platform's optional native binaries (swc, lightningcss, argon2), which npm ci refuses.
RUN npm install --no-audit --no-fund

# --- build: next build + bundle the server ---
FROM deps AS build
COPY . .
RUN npm run build

# --- runtime ---
FROM node:20-bookworm-slim AS runtime
WORKDIR /app
ENV NODE_ENV=production NEXT_TELEMETRY_DISABLED=1 PORT=3000 HOST=0.0.0.0
COPY package.json package-lock.json ./
# The Prisma client is bundled into dist/server.mjs; no generate step needed here.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/.next ./.next
COPY --from=build /app/dist ./dist
COPY --from=build /app/next.config.ts ./
# Migrations are applied at start (idempotent, serialised by an advisory lock).
COPY --from=build /app/prisma ./prisma
# Embedded mode (no DATABASE_URL) keeps PGlite here; mount a volume to keep it.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD node -e "fetch('http://127.0.0.1:3000/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Node flags: PRODUCTION_NODE_FLAGS in scripts/build-server.ts (why), the same as `npm start`.
CMD ["node", "--v8-pool-size=0", "dist/server.mjs"]

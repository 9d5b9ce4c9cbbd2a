# Portcullis container image (DESIGN.md §3). Build: `docker compose build` or `docker build -t portcullis .`
# The default CMD runs config/docker.yaml, a relaxed demo that must only be published on loopback: read its header.

# ---- build: compile TypeScript and better-sqlite3, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
# better-sqlite3 compiles from source when no prebuilt binary matches (DESIGN.md §5).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (a build) needs src/, copied below so that this layer stays cached
# while only the sources change; the one dependency that needs its install script is rebuilt explicitly.
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev --ignore-scripts

# ---- runtime: production dependencies, compiled code, default data; no compilers, not root ----
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# SQL migrations are applied at start-up from src/store/migrations (tsc does not copy .sql files into dist/).
COPY src/store/migrations ./src/store/migrations
# Defaults baked into the image; docker-compose.yml mounts the checkout's copies over them (read-only).
COPY config ./config
COPY rules ./rules
COPY guards ./guards
COPY keys ./keys
# The image's files stay root-owned (read-only to the gateway); only data/ (the SQLite database) is writable.
RUN mkdir -p /app/data && chown node:node /app/data && chmod 0700 /app/data
USER node
VOLUME ["/app/data"]
# 8080: MCP endpoint and /healthz; 8081: admin listener (metrics, dashboard, quarantine API).
EXPOSE 8080 8081
# No curl in the slim image: Node's fetch. /healthz answers 200 once every backend has been attempted.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "bin/portcullis.js", "serve", "--config", "config/docker.yaml"]

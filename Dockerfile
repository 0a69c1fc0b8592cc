# syntax=docker/dockerfile:1
#
# One image for every service. The command picks the service, for example
# `node services/worker/dist/main.js`; docker-compose.yml and k8s/ set it.
#
#   docker build -t game-backbone .
#   docker run --rm game-backbone node services/api/dist/main.js

ARG NODE_IMAGE=node:24-bookworm-slim

# Workspace manifests only, so the `npm ci` layer below is rebuilt only when
# a package.json or the lock file changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete && find . -type d -empty -delete

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY --from=manifests /src ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build
RUN npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
# tini runs as PID 1: it forwards SIGTERM to Node and reaps zombie processes.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
# The image's `node` user (uid 1000) runs the services; the media directory
# belongs to it so the api and the worker can write images there.
RUN mkdir -p /data/media && chown -R 1000:1000 /data
ENV NODE_ENV=production \
    MEDIA_DIR=/data/media
WORKDIR /app
COPY --from=build --chown=0:0 /app ./
USER 1000:1000
VOLUME ["/data/media"]
EXPOSE 3000 9100
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["node", "docker/healthcheck.js"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "services/api/dist/main.js"]

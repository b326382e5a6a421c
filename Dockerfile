# syntax=docker/dockerfile:1
# The supervisor and its workers in one image: Debian trixie with Debian's Node.js 20 and Chromium, the compiled
# workspace and its production dependencies, run as a non-root user under tini.
#   docker build -t wsm .                                  (Docker Hub reachable)
#   scripts/container/build-image.sh                       (no registry: builds the base image from a Debian mirror)
# The stages: node (trixie + nodejs, shared by build and runtime) → toolchain (compilers, pnpm) → deps (the
# pnpm store, from the lockfile alone) → build (tsc -b) and prod-deps (production node_modules) → runtime.

ARG BASE_IMAGE=docker.io/library/debian:trixie-slim

FROM ${BASE_IMAGE} AS node
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM node AS toolchain
# better-sqlite3 is compiled here against Debian's Node headers (libnode-dev), never downloaded as a prebuilt
# binary: the build needs no host but the npm registry and Debian's mirror.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libnode-dev python3 make g++ curl \
 && rm -rf /var/lib/apt/lists/*
# Behind a TLS-intercepting proxy the build must trust its CA: EXTRA_CA_CERTS takes PEM text (build-image.sh
# passes the host's /usr/local/share/ca-certificates). Build stages only: the runtime image never gets it.
ARG EXTRA_CA_CERTS=""
RUN if [ -n "$EXTRA_CA_CERTS" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTS" > /usr/local/share/ca-certificates/build-extra.crt && update-ca-certificates; \
    fi
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
ARG PNPM_VERSION=10.34.9
# sha512 of https://registry.npmjs.org/pnpm/-/pnpm-10.34.9.tgz (npm view pnpm@10.34.9 dist.integrity, as hex)
ARG PNPM_SHA512=f49b5a8ea0fdedb44bb3c0c1d6575092a53c2950d95b7ad15df11f17974877a2de3a01c07e934e9b28ce716e51c09a94962c7306d09be2e1e4b18a8c8762fd32
RUN curl -fsSL "https://registry.npmjs.org/pnpm/-/pnpm-${PNPM_VERSION}.tgz" -o /tmp/pnpm.tgz \
 && echo "${PNPM_SHA512}  /tmp/pnpm.tgz" | sha512sum -c - \
 && mkdir /opt/pnpm && tar -xzf /tmp/pnpm.tgz -C /opt/pnpm --strip-components=1 && rm /tmp/pnpm.tgz \
 && ln -s /opt/pnpm/bin/pnpm.cjs /usr/local/bin/pnpm \
 && pnpm --version
ENV npm_config_store_dir=/pnpm/store \
    npm_config_nodedir=/usr \
    npm_config_build_from_source=true \
    CI=true

FROM toolchain AS deps
WORKDIR /src
# Only the lockfile and the manifests: this layer and the store in it survive every source change.
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY apps/supervisor/package.json apps/supervisor/
COPY apps/worker/package.json apps/worker/
COPY packages/ipc-protocol/package.json packages/ipc-protocol/
COPY packages/procfs/package.json packages/procfs/
COPY packages/wa-web-emulator/package.json packages/wa-web-emulator/
COPY bench/package.json bench/
RUN pnpm fetch --frozen-lockfile

FROM deps AS prod-deps
# The supervisor, the worker and the packages they import, without devDependencies; then only what runs is kept
# (better-sqlite3's sources and objects go, its compiled addon stays). `pnpm fetch` filled node_modules/.pnpm
# with every package of the lockfile, dev tools included: the install starts from the store alone.
RUN rm -rf node_modules \
 && pnpm install --offline --frozen-lockfile --prod --filter '@wsm/supervisor...' \
 && for dir in node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do \
      mv "$dir/build/Release/better_sqlite3.node" /tmp/ && rm -rf "$dir/build" "$dir/deps" "$dir/src" \
      && mkdir -p "$dir/build/Release" && mv /tmp/better_sqlite3.node "$dir/build/Release/"; \
    done \
 && rm -rf bench packages/wa-web-emulator pnpm-lock.yaml .npmrc

FROM deps AS build
# tsc needs the dev tools but no install script (better-sqlite3 is compiled for prod-deps only).
RUN pnpm install --offline --frozen-lockfile --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
COPY apps/supervisor/tsconfig.json apps/supervisor/
COPY apps/supervisor/src apps/supervisor/src
COPY apps/worker/tsconfig.json apps/worker/
COPY apps/worker/src apps/worker/src
COPY apps/worker/scripts apps/worker/scripts
COPY packages/ipc-protocol/tsconfig.json packages/ipc-protocol/
COPY packages/ipc-protocol/src packages/ipc-protocol/src
COPY packages/procfs/tsconfig.json packages/procfs/
COPY packages/procfs/src packages/procfs/src
# The worker runs from one bundled file (dist/worker.cjs, the supervisor's default WORKER_ENTRY): it starts faster.
RUN pnpm exec tsc -b apps/supervisor && node apps/worker/scripts/bundle.mjs

FROM node AS runtime
# chromium for the webjs engine; tini as PID 1 forwards signals and reaps the zombies that Chromium's
# daemonized helpers leave once their parent is gone; fonts-liberation so pages have a font at all.
RUN apt-get update \
 && apt-get install -y --no-install-recommends chromium tini fonts-liberation \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --user-group --home-dir /home/wsm --create-home --shell /usr/sbin/nologin wsm \
 && mkdir /data && chown wsm:wsm /data
WORKDIR /app
# Owned by root, read-only to the service: only DATA_DIR is written.
COPY --from=prod-deps /src /app
COPY --from=build /src/packages/procfs/dist packages/procfs/dist
COPY --from=build /src/packages/ipc-protocol/dist packages/ipc-protocol/dist
COPY --from=build /src/apps/worker/dist apps/worker/dist
COPY --from=build /src/apps/supervisor/dist apps/supervisor/dist
COPY scripts/container/healthcheck.mjs /app/healthcheck.mjs
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/data \
    CHROMIUM_PATH=/usr/bin/chromium
VOLUME ["/data"]
EXPOSE 3000
USER wsm
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/supervisor/dist/server.js"]

# mq-doctor as a container preflight: checks the message-queue limits the
# container really got, raises what it may, and then becomes the application
# (same PID, so signals reach it). See README "Containers".
#
# Both bases are build arguments, so the image can be built from locally
# provided bases, e.g. in an air-gapped CI:
#   podman build --build-arg BUILD_BASE=localhost/base --build-arg BASE=localhost/base .
ARG BUILD_BASE=docker.io/library/node:20-bookworm
ARG BASE=docker.io/library/node:20-bookworm-slim

# --- build: the toolchain compiles the native addon and bundles the CLI ------------
FROM ${BUILD_BASE} AS build
# --offline builds from a prepared npm cache (air-gapped CI).
ARG NPM_FLAGS=--prefer-offline
WORKDIR /opt/mq-doctor
COPY package.json package-lock.json tsconfig.json ./
COPY scripts ./scripts
COPY native ./native
COPY schema ./schema
COPY src ./src
COPY bin ./bin
COPY profiles ./profiles
# npm ci builds the addon (install script) and dist/ (prepare); then only the
# runtime dependencies stay.
RUN npm ci --no-audit --no-fund ${NPM_FLAGS} \
 && test -f native/getrlimit/build/Release/getrlimit.node \
 && npm prune --omit=dev --no-audit --no-fund ${NPM_FLAGS} \
 && rm -rf src scripts native/getrlimit/build/Release/obj.target native/getrlimit/build/Release/.deps \
 && ln -s mq-doctor.cjs bin/mq-doctor \
 && node bin/mq-doctor.cjs --version

# --- runtime: node and what runs, nothing else ---------------------------------------
FROM ${BASE}
COPY --from=build /opt/mq-doctor /opt/mq-doctor
ENV PATH=/opt/mq-doctor/bin:/usr/local/bin:/usr/bin:/bin
# Not root: the preflight raises soft limits up to the hard ones, which needs no privilege.
USER 65534:65534
ENV MQ_DOCTOR_MODE=enforce
ENTRYPOINT ["mq-doctor", "preflight", "--"]
# Replace with your application; this default shows what the container got.
CMD ["mq-doctor", "limits"]

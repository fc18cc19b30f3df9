# syntax=docker/dockerfile:1

# newsbot container image. Build: docker build -t newsbot .
# Deployment (Discord application, docker run, systemd): docs/deploy.md.
# bot/dockerfile_test.go checks the essentials of this file.

# ---- Build stage: the Go toolchain, never shipped.
# The tag must satisfy go.mod's go line (go 1.26.x); the official image sets
# GOTOOLCHAIN=local, so an older toolchain fails instead of downloading one.
FROM golang:1.26-bookworm AS build
WORKDIR /src

# Dependencies first, so that a change to the source reuses this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

# A static binary (no cgo, so it runs without libc), with no local paths
# or debug symbols in it.
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bot ./bot

# An empty data folder for the final stage, which has no shell to mkdir.
RUN mkdir -p /out/data

# ---- Final stage: distroless static, no shell or package manager. It holds
# CA certificates (HTTPS to Discord and the model API), tzdata and a
# nonroot user (uid/gid 65532), which is all the static binary needs.
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/bot /usr/local/bin/bot
# The bundled seed articles are the default corpus; mount your own folder
# over /corpus. Owned by nonroot so that /ingest can add articles to it.
COPY --chown=65532:65532 testdata/articles /corpus
# The index and the feedback log live in /data; keep it on a volume.
COPY --from=build --chown=65532:65532 /out/data /data

# No secrets here: DISCORD_TOKEN, OPENAI_API_KEY etc. are given at run time.
ENV NEWSBOT_CORPUS=/corpus NEWSBOT_DATA=/data NEWSBOT_METRICS=:9090
VOLUME ["/corpus", "/data"]
USER nonroot:nonroot

# 8080: Discord interactions over HTTP (serve -http :8080), when used.
# 9090: /healthz, /readyz and /metrics (NEWSBOT_METRICS).
EXPOSE 8080 9090

# No shell or curl in distroless: the binary checks its own /healthz.
# The start period covers indexing the corpus on the first start.
HEALTHCHECK --interval=30s --timeout=5s --start-period=2m --retries=3 \
    CMD ["/usr/local/bin/bot", "health"]

ENTRYPOINT ["/usr/local/bin/bot"]
CMD ["serve"]

# syntax=docker/dockerfile:1
#
# The execbox HTTP service: `execbox serve` on port 8080. Build and run:
#
#   docker build -t execbox:0.1.0 .
#   docker run --rm -p 8080:8080 --read-only --tmpfs /tmp:rw,size=64m \
#     -e EXECBOX_TOKEN=change-me \
#     -v "$PWD/execbox.jsonc:/etc/execbox/execbox.jsonc:ro" execbox:0.1.0
#
# docs/deploy.md explains the choices; deploy/ runs it on Kubernetes.

# The Deno that CI tests with (.ci/run). The Debian variant brings what the
# broker needs besides Deno: util-linux's `setsid` (upstream servers get
# their own process group), /proc (memory watch), `tini` as PID 1, and the
# unprivileged `deno` user (uid 1993).
FROM denoland/deno:debian-2.9.6

# Fail the build rather than the first request if the base image changes.
RUN command -v setsid && test -x /tini

# Nothing below is written to at run time: the root filesystem may be
# mounted read-only, with /tmp the only writable path. Each run's temporary
# directory (its own DENO_DIR) goes to TMPDIR; HOME points there too for
# tools that want one.
ENV DENO_DIR=/deno-dir \
    DENO_NO_UPDATE_CHECK=1 \
    NO_COLOR=1 \
    HOME=/tmp \
    TMPDIR=/tmp

# Upstream MCP servers, cached into DENO_DIR at build time so that nothing is
# downloaded when a container starts: execbox.jsonc runs each with
# `deno run --cached-only` and the same version.
RUN deno cache --no-config --no-lock \
    npm:@modelcontextprotocol/server-filesystem@2026.8.31

WORKDIR /app

# Dependencies first, so a change to the source reuses this layer.
COPY deno.json deno.lock ./
COPY cli/deno.json cli/
RUN deno install --frozen

COPY . .
RUN deno cache --frozen cli/main.ts

# Files above belong to root: the service can read them but not change them.
USER 1993:1993

EXPOSE 8080

# For `docker run`; Kubernetes uses the probes in deploy/deployment.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["deno", "eval", "--no-config", "--no-lock", "const r = await fetch('http://127.0.0.1:8080/healthz'); if (!r.ok) Deno.exit(1);"]

# tini reaps orphaned grandchildren and forwards SIGTERM. The broker gets all
# permissions (it must start arbitrary upstream commands, which any narrower
# set would hand out anyway); the code it runs gets none.
ENTRYPOINT ["/tini", "--", "deno", "run", "--cached-only", "--frozen", "-A", "cli/main.ts"]
CMD ["serve", "--config", "/etc/execbox/execbox.jsonc", "--hostname", "0.0.0.0", "--port", "8080"]

# fixit-exchange: the webhook service and its sandbox, built on the Debian release
# the project is developed on, so the image links against the same library versions.
#
#   docker compose up -d                   (see docs/deployment.md)
#   scripts/check-container                (builds and checks this image without a Docker engine)

ARG DEBIAN_IMAGE=docker.io/library/debian:bookworm-slim

# ---------------------------------------------------------------------------
# Build stage: compilers and -dev packages, Release build of the two executables.
FROM ${DEBIAN_IMAGE} AS build

ARG DEBIAN_FRONTEND=noninteractive
# Only the Boost components the build links (url, json; system comes with them):
# libboost1.81-all-dev would add OpenMPI, Python and gfortran, some 220 packages more.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      cmake ninja-build g++ \
      libboost1.81-dev libboost-url1.81-dev libboost-json1.81-dev \
      libssl-dev libsqlite3-dev libsimdjson-dev libspdlog-dev \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /src
# .dockerignore keeps tests, benchmarks, build folders, data and secrets out.
COPY . .

# Empty means one job per core of the build machine.
ARG BUILD_JOBS=
RUN cmake -S . -B build -G Ninja \
      -DCMAKE_BUILD_TYPE=Release -DFIXIT_BUILD_TESTS=OFF -DFIXIT_BUILD_BENCH=OFF \
 && cmake --build build --parallel ${BUILD_JOBS:-$(nproc)} \
 && install -d /out \
 && install -m 0755 -s build/bin/fixit-exchange /out/ \
 && if [ -x build/bin/fixit-sandbox ]; then install -m 0755 -s build/bin/fixit-sandbox /out/; \
    else echo "note: no fixit-sandbox in this source tree; the image has the service only"; fi

# ---------------------------------------------------------------------------
# Runtime stage: shared libraries, CA certificates, the sqlite3 shell for online
# backups, and the binaries. No compiler, no headers.
FROM ${DEBIAN_IMAGE} AS runtime

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libboost-json1.81.0 libboost-url1.81.0 \
      libssl3 libsqlite3-0 libsimdjson14 libspdlog1.10 \
      sqlite3 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/*

# A fixed, unprivileged uid/gid so volume ownership and backups are predictable.
RUN groupadd --system --gid 10001 fixit \
 && useradd --system --uid 10001 --gid fixit --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin fixit \
 && install -d -o fixit -g fixit -m 0750 /data

COPY --from=build /out/ /usr/local/bin/

# PORT, BIND_ADDRESS and DB_PATH are fixed for the container: the port is the one
# EXPOSEd and probed by the health check, the database must live on the volume.
ENV PORT=8000 \
    BIND_ADDRESS=0.0.0.0 \
    DB_PATH=/data/fixit-exchange.db \
    LOG_LEVEL=info

USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000

# The service finishes requests in flight and flushes on SIGTERM.
STOPSIGNAL SIGTERM
# GET http://127.0.0.1:$PORT/healthz from inside the container; exit 0 on 200.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["fixit-exchange", "--healthcheck"]

CMD ["fixit-exchange"]

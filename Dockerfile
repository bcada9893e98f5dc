# Tidemark: build the server and the wasm bundle with cargo-leptos, then run on a slim Debian
# with the PostgreSQL 15 server (for the embedded cluster), its client tools, and pgBackRest.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends nodejs npm \
 && rm -rf /var/lib/apt/lists/*
RUN rustup target add wasm32-unknown-unknown
RUN cargo install cargo-leptos@0.3.10 --locked --features no_downloads
WORKDIR /src
# The wasm-bindgen CLI must match the crate pinned in Cargo.toml.
COPY Cargo.toml Cargo.lock ./
RUN cargo install wasm-bindgen-cli@"$(sed -nE 's/^wasm-bindgen *= *"=([0-9.]+)".*/\1/p' Cargo.toml)"
# wasm-opt comes from the npm package binaryen (Debian's older binaryen breaks hydration).
COPY end2end/package.json end2end/package-lock.json end2end/
RUN cd end2end && npm ci --no-audit --no-fund
COPY . .
ENV PATH=/src/end2end/node_modules/.bin:$PATH
RUN cargo leptos build --release --precompress --split --cargo-locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 postgresql-client-15 pgbackrest ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/tidemark \
 && chown postgres:postgres /var/lib/tidemark
COPY --from=build /src/target/release/tidemark /usr/local/bin/tidemark
# The hashed names of the site's files; read from beside the binary.
COPY --from=build /src/target/release/hash.txt /usr/local/bin/hash.txt
COPY --from=build /src/target/site /usr/share/tidemark/site
ENV TIDEMARK_SITE_ROOT=/usr/share/tidemark/site \
    TIDEMARK_DATA_DIR=/var/lib/tidemark \
    TIDEMARK_LISTEN=0.0.0.0:3000
# PostgreSQL and pgBackRest refuse to run as root; the whole server runs as their user.
USER postgres
VOLUME /var/lib/tidemark
EXPOSE 3000
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/tidemark"]

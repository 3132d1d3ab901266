# tableform in a container: `docker build -t tableform .`, then
#   docker run --rm -v "$PWD/schema:/work/schema:ro" -e DATABASE_URL tableform plan --schema schema
# The builder compiles the release binary (stripped: [profile.release] in Cargo.toml) from the
# locked dependencies; the runtime image holds only that binary and a non-root user.

FROM rust:1-slim-bookworm AS builder
WORKDIR /src
# Everything cargo needs to read the manifest (its [[test]] and [[bench]] targets must exist);
# .dockerignore keeps target/, dist/ and .git out.
COPY . .
RUN cargo build --locked --release --bin tableform \
 && cp target/release/tableform /usr/local/bin/tableform

FROM debian:bookworm-slim
# TLS needs no system certificates (the webpki roots are built in); ca-certificates is there
# for sslrootcert files that point at the system store.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --create-home --home-dir /home/tableform tableform
COPY --from=builder /usr/local/bin/tableform /usr/local/bin/tableform
USER tableform
WORKDIR /work
ENTRYPOINT ["tableform"]
CMD ["--help"]

